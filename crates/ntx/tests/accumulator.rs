//! The functional model: NTX's exact accumulation against plain fp32 on the
//! long reductions of convolutions.
use ndarray::{Array3, Array4};
use pimzoo_ntx::accumulator::{
    accumulation_study, conv2d, dot, dot_reference, ulp_error, Accumulation, Rounding,
};

#[test]
fn long_dot_products_stay_exact_where_fp32_drifts() {
    for length in [1 << 10, 1 << 16] {
        let s = accumulation_study(length, 6, 42);
        // One rounding at write-back (toward zero): under one ulp.
        assert!(s.exact_max_ulp < 1.0, "{s:?}");
        // Plain fp32: two roundings per term, the error grows with length.
        assert!(s.naive_mean_ulp > 2.0 * s.exact_mean_ulp, "{s:?}");
    }
    let short = accumulation_study(1 << 8, 6, 42);
    let long = accumulation_study(1 << 16, 6, 42);
    assert!(long.naive_mean_ulp > 4.0 * short.naive_mean_ulp);
}

#[test]
fn a_convolution_through_the_wide_accumulator_rounds_once_per_output() {
    // 64 input channels, 3x3: 576-term reductions per output.
    let (c, h, w, k) = (64, 6, 6, 4);
    let mut seed = 1u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let input = Array3::from_shape_fn((c, h, w), |_| next());
    let weights = Array4::from_shape_fn((k, c, 3, 3), |_| next());
    let exact = conv2d(
        input.view(),
        weights.view(),
        Accumulation::Exact(Rounding::NearestEven),
    );
    let naive = conv2d(input.view(), weights.view(), Accumulation::NaiveF32);
    assert_eq!(exact.dim(), (k, h - 2, w - 2));
    let (mut worst_exact, mut worst_naive) = (0.0f64, 0.0f64);
    for ko in 0..k {
        for y in 0..h - 2 {
            for x in 0..w - 2 {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for ci in 0..c {
                    for ky in 0..3 {
                        for kx in 0..3 {
                            a.push(input[[ci, y + ky, x + kx]]);
                            b.push(weights[[ko, ci, ky, kx]]);
                        }
                    }
                }
                let r = dot_reference(&a, &b);
                // Rounded to nearest: exactly the correctly rounded fp32.
                assert_eq!(exact[[ko, y, x]], r as f32);
                assert_eq!(
                    exact[[ko, y, x]],
                    dot(&a, &b, Accumulation::Exact(Rounding::NearestEven))
                );
                worst_exact = worst_exact.max(ulp_error(exact[[ko, y, x]], r));
                worst_naive = worst_naive.max(ulp_error(naive[[ko, y, x]], r));
            }
        }
    }
    assert!(worst_exact <= 0.5, "{worst_exact}");
    assert!(worst_naive > worst_exact, "{worst_naive}");
}
