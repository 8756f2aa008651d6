// Finds two peer ids, "m-" and 11 characters each, whose 64-bit FNV-1a hashes
// (the ids' form on the wire, src/core/mesh/frame.cpp) are equal: Pollard's
// rho with distinguished points, about 2^32 hashes. It made the pair in
// tests/node/id-collision.test.mjs in about two minutes on one core:
//   cc -O2 -o /tmp/find-id-collision tools/find-id-collision.c && /tmp/find-id-collision 7
// It shows why a collision must never be fatal to a room: anyone can make one.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const uint64_t kPrime = 0x100000001b3ULL;
static uint64_t after_prefix;  // FNV-1a state after "m-"

// The 11 characters that stand for a 64-bit value (6 bits each).
static void name_of(uint64_t value, char out[12]) {
    for (int i = 0; i < 11; i++, value >>= 6) out[i] = kAlphabet[value & 63];
    out[11] = 0;
}

// The walk: the hash of the id that stands for `value`.
static uint64_t step(uint64_t value) {
    uint64_t h = after_prefix;
    for (int i = 0; i < 11; i++, value >>= 6) h = (h ^ (uint8_t)kAlphabet[value & 63]) * kPrime;
    return h;
}

#define DISTINGUISHED_BITS 22  // chains of about 4M steps
#define TABLE_SIZE (1u << 16)  // distinguished points seen; enough for ~2^32 steps
#define MAX_CHAIN (40ULL << DISTINGUISHED_BITS)

typedef struct { uint64_t point, start, length; int used; } Chain;
static Chain chains[TABLE_SIZE];

int main(int argc, char** argv) {
    uint64_t rng = (argc > 1 ? strtoull(argv[1], 0, 10) : 1) * 0x9E3779B97F4A7C15ULL + 12345;
    after_prefix = 0xcbf29ce484222325ULL;
    for (const char* p = "m-"; *p; p++) after_prefix = (after_prefix ^ (uint8_t)*p) * kPrime;
    for (;;) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;  // xorshift: starting points only
        uint64_t start = rng, x = start, length = 0;
        while ((x & ((1ULL << DISTINGUISHED_BITS) - 1)) != 0 && length < MAX_CHAIN) x = step(x), length++;
        if (length >= MAX_CHAIN) continue;  // a cycle without a distinguished point
        uint32_t slot = (uint32_t)(x >> 40) & (TABLE_SIZE - 1);
        while (chains[slot].used && chains[slot].point != x) slot = (slot + 1) & (TABLE_SIZE - 1);
        if (!chains[slot].used) {
            chains[slot] = (Chain){x, start, length, 1};
            continue;
        }
        // Two chains end at one point: walk them in step to where they merge.
        uint64_t a = chains[slot].start, b = start, la = chains[slot].length, lb = length;
        for (; la > lb; la--) a = step(a);
        for (; lb > la; lb--) b = step(b);
        if (a == b) continue;  // one chain starts on the other
        while (step(a) != step(b)) a = step(a), b = step(b);
        char na[12], nb[12];
        name_of(a, na), name_of(b, nb);
        printf("m-%s m-%s %016llx\n", na, nb, (unsigned long long)step(a));
        return 0;
    }
}
