// A consumer app: the package as a user's bundler sees it, through the default
// entry, in the seed's synchronous style: the import loaded the core (the
// package's top-level await), so the meshes are constructed at once. The app
// itself has no top-level await: only the package's is put to the test.
import { RTCMesh, loadCore } from 'rtcmesh';
import { runPair } from './pair.js';

runPair(RTCMesh, loadCore().then((core) => core.version()));
