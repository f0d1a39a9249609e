package dev.lorahub.internal;

/**
 * CPython's {@code random.Random} as far as LoraHub needs it: MT19937 seeded as {@code
 * random.seed(int)} does ({@code init_by_array} over the 32-bit words of {@code |seed|}), {@code
 * getrandbits}, {@code _randbelow} and {@code sample(range(n), k)}, so Java draws the same modules
 * as the reference's Python scripts. (Java's own generators produce other sequences.)
 */
public final class PythonRandom {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index;

    /**
     * @param seed as given to {@code random.seed(seed)}; its absolute value is used
     */
    public PythonRandom(long seed) {
        long abs = seed == Long.MIN_VALUE ? Long.MIN_VALUE : Math.abs(seed);
        int[] key =
                (abs >>> 32) == 0
                        ? new int[] {(int) abs}
                        : new int[] {(int) abs, (int) (abs >>> 32)};
        initByArray(key);
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
    }

    /**
     * @return the next 32 random bits, as CPython's {@code genrand_uint32}
     */
    public int nextInt32() {
        if (index >= N) {
            for (int k = 0; k < N; k++) {
                int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
                mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /**
     * @param bits between 1 and 32
     * @return {@code getrandbits(bits)}
     */
    public long getrandbits(int bits) {
        if (bits < 1 || bits > 32) {
            throw new IllegalArgumentException("bits must be in [1, 32], got " + bits);
        }
        return (nextInt32() & 0xffffffffL) >>> (32 - bits);
    }

    /**
     * @param n the exclusive bound, at least 1
     * @return {@code _randbelow(n)}: rejection sampling over {@code n.bit_length()} bits
     */
    public int randbelow(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        int bits = 32 - Integer.numberOfLeadingZeros(n);
        long r = getrandbits(bits);
        while (r >= n) {
            r = getrandbits(bits);
        }
        return (int) r;
    }

    /**
     * {@code random.sample(range(n), k)}, including its switch between the pool and the set
     * algorithm.
     *
     * @param n the population size
     * @param k the sample size, in {@code [0, n]}
     * @return k distinct indices in draw order
     */
    public int[] sample(int n, int k) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException(
                    "sample larger than population or negative: k=" + k + ", n=" + n);
        }
        int[] result = new int[k];
        int setsize = 21;
        if (k > 5) {
            setsize += (int) Math.pow(4, Math.ceil(Math.log(k * 3) / Math.log(4)));
        }
        if (n <= setsize) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) {
                pool[i] = i;
            }
            for (int i = 0; i < k; i++) {
                int j = randbelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
        } else {
            boolean[] selected = new boolean[n];
            for (int i = 0; i < k; i++) {
                int j = randbelow(n);
                while (selected[j]) {
                    j = randbelow(n);
                }
                selected[j] = true;
                result[i] = j;
            }
        }
        return result;
    }
}
