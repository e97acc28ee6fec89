package dev.flywheel.lab.scaling;

/**
 * Chinchilla's parametric law L(N, D) = E + A/N^α + B/D^β: the loss of a model of N parameters trained on D tokens,
 * with compute C = 6ND (every parameter counted, embeddings included: at the small sizes a ladder trains, counting
 * only non-embedding parameters bends the law).
 *
 * @param e     the irreducible loss E
 * @param a     A, the size term's scale
 * @param b     B, the data term's scale
 * @param alpha α, the size exponent
 * @param beta  β, the data exponent
 */
public record ScalingLaw(double e, double a, double b, double alpha, double beta) {

    /** FLOPs per parameter per token: forward and backward, C = 6ND. */
    public static final double FLOPS_PER_PARAM_TOKEN = 6;

    public ScalingLaw {
        if (!(Double.isFinite(e) && Double.isFinite(a) && Double.isFinite(b) && Double.isFinite(alpha) && Double.isFinite(beta)))
            throw new IllegalArgumentException("a scaling law's parameters must be finite");
    }

    /** The law from the fit's coordinates θ = (ln A, ln B, ln E, α, β) ({@link LawObjective}). */
    static ScalingLaw ofTheta(double[] theta) {
        return new ScalingLaw(Math.exp(theta[2]), Math.exp(theta[0]), Math.exp(theta[1]), theta[3], theta[4]);
    }

    double[] theta() {
        return new double[]{Math.log(a), Math.log(b), Math.log(e), alpha, beta};
    }

    /** The predicted loss of {@code params} parameters trained on {@code tokens} tokens. */
    public double loss(double params, double tokens) {
        return e + a / Math.pow(params, alpha) + b / Math.pow(tokens, beta);
    }

    /** The compute-optimal split of {@code flops} (C = 6ND) and its predicted loss. */
    public record Allocation(double flops, double params, double tokens, double loss) {
        public double tokensPerParam() {
            return tokens / params;
        }
    }

    /**
     * The N that minimises L(N, C/6N): setting dL/dN = 0 gives αA/N^α = βB/D^β, so N = G (C/6)^(β/(α+β)) with
     * G = (αA / βB)^(1/(α+β)), and D = C / 6N. Needs positive exponents (a law fitted with α or β ≤ 0 has no optimum).
     */
    public Allocation optimal(double flops) {
        if (!(alpha > 0 && beta > 0))
            throw new IllegalArgumentException("the law has no compute-optimal size: its exponents must be positive (α "
                    + alpha + ", β " + beta + ")");
        double s = alpha + beta;
        double logG = (Math.log(alpha * a) - Math.log(beta * b)) / s;
        double logHalfC = Math.log(flops / FLOPS_PER_PARAM_TOKEN);
        double n = Math.exp(logG + beta / s * logHalfC);
        double d = flops / (FLOPS_PER_PARAM_TOKEN * n);
        return new Allocation(flops, n, d, loss(n, d));
    }

    /** The exponent of compute in the optimal size, N_opt ∝ C^(β/(α+β)); tokens grow as C^(α/(α+β)). */
    public double paramsExponent() {
        return beta / (alpha + beta);
    }
}
