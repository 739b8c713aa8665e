"""The paper's own figures (method.md, Tables 2-5), keyed by our method names."""

from __future__ import annotations

# Table 2 (PSNR, dB): BSD68 and Hanzi columns.
TABLE2 = {
    "bsd68": {
        "noisy input": 20.19,
        "NLM": 22.73,
        "BM3D (oracle sigma)": 28.59,
        "supervised": 29.11,
        "noise2same-D (oracle sigma_n)": 28.03,
        "noise2self-D": 28.33,
        "noise2same-R (sigma_loss=1)": 27.10,
        "noise2same-D (sigma_loss=1)": 27.24,
        "noise2info-R": 27.57,
        "noise2info-D": 27.74,
    },
    "hanzi": {
        "noisy input": 6.45,
        "NLM": 8.41,
        "BM3D (oracle sigma)": 10.90,
        "supervised": 16.00,
        "noise2same-D (oracle sigma_n)": 14.08,
        "noise2self-D": 14.11,
        "noise2same-R (sigma_loss=1)": 14.38,
        "noise2same-D (sigma_loss=1)": 14.36,
        "noise2info-R": 14.43,
        "noise2info-D": 14.43,
    },
}
# Table 3: final sigma_loss (R / D) vs true sigma_n on the training set.
TABLE3 = {"bsd68": (0.5357, 0.5309, 0.5043), "hanzi": (0.9596, 0.9592, 1.2193)}
# Table 4 (Hanzi, Gaussian s'): PSNR of N2I, N2S(1), N2S(sigma_n), N2V, N2Self; sigma_loss, sigma_n.
TABLE4 = {
    0.3: {
        "noise2info": 23.73,
        "noise2same (1)": 23.55,
        "noise2same (sigma_n)": 23.81,
        "noise2void": 23.60,
        "noise2self": 23.45,
        "sigma_loss": 0.6006,
        "sigma_n": 0.5845,
    },
    0.5: {
        "noise2info": 20.81,
        "noise2same (1)": 20.78,
        "noise2same (sigma_n)": 20.56,
        "noise2void": 20.48,
        "noise2self": 20.56,
        "sigma_loss": 0.7818,
        "sigma_n": 0.7683,
    },
    0.7: {
        "noise2info": 18.67,
        "noise2same (1)": 18.66,
        "noise2same (sigma_n)": 18.62,
        "noise2void": 18.04,
        "noise2self": 18.22,
        "sigma_loss": 0.8710,
        "sigma_n": 0.8593,
    },
    0.9: {
        "noise2info": 16.80,
        "noise2same (1)": 16.82,
        "noise2same (sigma_n)": 16.71,
        "noise2void": 16.25,
        "noise2self": 16.58,
        "sigma_loss": 0.9187,
        "sigma_n": 0.9075,
    },
}
# Table 5 (Hanzi, other noise): N2V, N2Self, N2S(sigma_n), N2I; N2I sigma_loss vs sigma_n.
TABLE5 = {
    "poisson-gaussian-A": {
        "noise2void": 18.88,
        "noise2self": 18.91,
        "noise2same (sigma_n)": 18.91,
        "noise2info": 19.11,
        "sigma_loss": 0.8317,
        "sigma_n": 0.8181,
    },
    "poisson-gaussian-B": {
        "noise2void": 17.93,
        "noise2self": 17.57,
        "noise2same (sigma_n)": 14.49,
        "noise2info": 18.52,
        "sigma_loss": 0.8551,
        "sigma_n": 10.32,
    },
    "pepper": {
        "noise2void": 23.77,
        "noise2self": 22.19,
        "noise2same (sigma_n)": 24.35,
        "noise2info": 24.96,
        "sigma_loss": 0.7043,
        "sigma_n": 0.8492,
    },
}
