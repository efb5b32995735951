/** mulberry32: a tiny seeded PRNG so a chaos run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from MEDIAD_TEST_SEED, else a fresh one; printed either way. */
export function chooseSeed(label: string): number {
  const seed = Number(process.env.MEDIAD_TEST_SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`# ${label} seed=${seed} (replay with MEDIAD_TEST_SEED=${seed})`);
  return seed;
}
