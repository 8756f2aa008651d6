// Runs a function in a task of its own, after the tasks queued already: not
// a microtask (those run before the next queued event), and not setTimeout
// (clamped to 1 ms in Node, and to 4 ms in browsers when nested). Node has
// setImmediate, which runs after the I/O callbacks of this turn; browsers
// get a MessageChannel, whose messages queue behind the events that wait.

function browserNextTask() {
  const queue = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => queue.shift()();
  return (fn) => {
    queue.push(fn);
    channel.port2.postMessage(null);
  };
}

export const nextTask = typeof setImmediate === 'function' ? (fn) => { setImmediate(fn); } : browserNextTask();
