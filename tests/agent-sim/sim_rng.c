/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the deterministic random numbers of the simulator
 * (splitmix64) and keyed bijections used to make unique ids and MACs.
 */
#include "sim.h"

uint64_t
sim_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

void
sim_rng_init(struct sim_rng *rng, uint64_t seed, uint64_t a, uint64_t b)
{
	rng->state = sim_mix64(seed ^ sim_mix64(a + 0x9e3779b97f4a7c15ULL *
	    sim_mix64(b + 1)));
}

uint64_t
sim_rng_next(struct sim_rng *rng)
{
	rng->state += 0x9e3779b97f4a7c15ULL;
	return sim_mix64(rng->state);
}

uint32_t
sim_rng_below(struct sim_rng *rng, uint32_t n)
{
	/* Multiply-shift: no modulo bias worth caring about for test data. */
	return (uint32_t)(((sim_rng_next(rng) >> 32) * (uint64_t)n) >> 32);
}

uint64_t
sim_rng_range(struct sim_rng *rng, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;

	if (span == 0)
		return sim_rng_next(rng);
	return lo + sim_rng_next(rng) % span;
}

bool
sim_rng_chance(struct sim_rng *rng, double p)
{
	return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53 < p;
}

size_t
sim_rng_count(struct sim_rng *rng, double rate)
{
	/* rate >= 0, so the conversion truncates to the floor. */
	size_t whole = (size_t)rate;

	return whole + (sim_rng_chance(rng, rate - (double)whole) ? 1 : 0);
}

uint64_t
sim_permute(uint64_t x, unsigned int bits, uint64_t key)
{
	uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	unsigned int s = bits / 2;

	/*
	 * Each step is a bijection modulo 2^bits: xor with a constant,
	 * x ^= x >> s (s > 0), multiplication by an odd number, addition.
	 */
	x = (x ^ key) & mask;
	for (int i = 0; i < 3; i++) {
		x ^= x >> s;
		x = (x * 0x9e3779b97f4a7c15ULL) & mask;
		x = (x + (key >> (8 * i))) & mask;
	}
	return x;
}
