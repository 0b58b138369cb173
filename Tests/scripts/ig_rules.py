"""The integration rules of Integrated Gradients from their textbook definitions (shared by the explain reference script
and bench/pytorch_ig_completeness.py)."""
import numpy as np

RULES = ["trapezoid", "riemann-left", "riemann-right", "riemann-middle", "gauss-legendre"]


def rule_points(rule, n):
    """Positions on [0, 1] and weights of `rule` with n points (numpy's leggauss for Gauss-Legendre)."""
    k = np.arange(n, dtype=np.float64)
    if rule == "trapezoid":
        w = np.full(n, 1.0 / (n - 1)); w[0] /= 2; w[-1] /= 2
        return k / (n - 1), w
    if rule == "riemann-left":
        return k / n, np.full(n, 1.0 / n)
    if rule == "riemann-right":
        return (k + 1) / n, np.full(n, 1.0 / n)
    if rule == "riemann-middle":
        return (k + 0.5) / n, np.full(n, 1.0 / n)
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1) / 2, weights / 2
