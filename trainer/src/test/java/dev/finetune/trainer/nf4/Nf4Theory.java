package dev.finetune.trainer.nf4;

/**
 * NF4's expected squared error on blocks of iid N(0,1) weights, by numerical integration: the block's absmax a
 * has density B·f(a)·F(a)^(B-1) with F(a) = 2Φ(a) - 1, f = F'; the B-1 other elements are N(0,1) truncated to
 * [-a, a], each rounded to a·NF4[code]; the max element is exact.
 */
final class Nf4Theory {

    private Nf4Theory() {}

    static double meanSquaredError(int blockSize) {
        double[] v = new double[16];
        float[] table = Nf4Code.values();
        for (int i = 0; i < 16; i++) {
            v[i] = table[i];
        }
        double total = 0;
        double da = 0.005;
        for (double a = 0.5 + da / 2; a < 7; a += da) {
            double big = 2 * cdf(a) - 1;
            double density = blockSize * 2 * pdf(a) * Math.pow(big, blockSize - 1);
            total += density * conditionalError(a, v) / big * da;
        }
        return (blockSize - 1) / (double) blockSize * total;
    }

    /** ∫_{-a}^{a} (x - a·NF4(x/a))² φ(x) dx, midpoint rule. */
    private static double conditionalError(double a, double[] v) {
        int n = 1200;
        double h = 2 * a / n;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x = -a + (i + 0.5) * h;
            double s = x / a;
            int best = 0;
            for (int k = 1; k < 16; k++) {
                if (Math.abs(s - v[k]) < Math.abs(s - v[best])) {
                    best = k;
                }
            }
            double e = x - a * v[best];
            sum += e * e * pdf(x);
        }
        return sum * h;
    }

    private static double pdf(double x) {
        return Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    }

    /** Φ via erf (Abramowitz–Stegun 7.1.26, error below 1.5e-7). */
    private static double cdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * z);
        double erf = 1
                - t
                        * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
                        * Math.exp(-z * z);
        return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
