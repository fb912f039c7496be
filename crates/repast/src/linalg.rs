//! The small dense linear algebra the functional model needs, on row-major
//! `f64` storage: Cholesky and LU (partial pivoting) factorizations with
//! their solves, Lanczos and power iteration for extreme eigenvalues, Sturm
//! bisection for tridiagonal eigenvalues and cyclic Jacobi for small dense
//! symmetric matrices. No LAPACK: every routine is a textbook algorithm
//! (Golub & Van Loan, *Matrix Computations*, 4th ed.: Cholesky 4.2, LU with
//! partial pivoting 3.4, Lanczos 10.1, Sturm bisection 8.4.1, Jacobi 8.5).
//!
//! These routines stand for two different things in the model: the *analog*
//! INV crossbar (an exact solve of the matrix its conductances hold) and the
//! *digital oracle* that scores the circuit (the exact solve of the 16-bit A
//! and of the unquantized A). Neither is a cost: the cost model counts
//! crossbar operations, not these flops.
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Dot product with eight independent accumulators (lets the compiler keep
/// the lanes in vector registers; the summation order is fixed, so results
/// are deterministic).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f64; 8];
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y += alpha * x`.
#[inline]
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Euclidean norm.
pub fn norm2(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// Largest absolute entry.
pub fn max_abs(x: &[f64]) -> f64 {
    x.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// `y = M x` for a row-major `n x n` matrix.
pub fn matvec(m: &[f64], n: usize, x: &[f64], y: &mut [f64]) {
    for (i, yi) in y.iter_mut().enumerate().take(n) {
        *yi = dot(&m[i * n..(i + 1) * n], x);
    }
}

/// Row-major copy of a square matrix (any ndarray layout).
pub fn to_row_major(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// Square row-major matrix back into ndarray.
pub fn from_row_major(n: usize, data: Vec<f64>) -> Array2<f64> {
    Array2::from_shape_vec((n, n), data).expect("n*n entries")
}

/// Cholesky factor `A = L L^T` of a symmetric positive-definite matrix,
/// lower triangle stored row-major.
#[derive(Clone, Debug)]
pub struct Cholesky {
    n: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Factor a row-major symmetric matrix (only the lower triangle is
    /// read). `Err(i)` if the matrix is not positive definite: pivot `i` is
    /// not positive.
    pub fn new(a: &[f64], n: usize) -> Result<Self, usize> {
        assert_eq!(a.len(), n * n);
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let s = a[i * n + j] - dot(&l[i * n..i * n + j], &l[j * n..j * n + j]);
                if i == j {
                    if !(s > 0.0 && s.is_finite()) {
                        return Err(i);
                    }
                    l[i * n + i] = s.sqrt();
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        Ok(Self { n, l })
    }

    /// Dimension.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Overwrite `x` (holding `b`) with `A^-1 b`.
    pub fn solve_in_place(&self, x: &mut [f64]) {
        let (n, l) = (self.n, &self.l);
        for i in 0..n {
            let s = dot(&l[i * n..i * n + i], &x[..i]);
            x[i] = (x[i] - s) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let (head, tail) = x.split_at_mut(i);
            tail[0] /= l[i * n + i];
            axpy(-tail[0], &l[i * n..i * n + i], head);
        }
    }

    /// `L^-1 x` in place (forward substitution only).
    pub fn forward_in_place(&self, x: &mut [f64]) {
        let (n, l) = (self.n, &self.l);
        for i in 0..n {
            let s = dot(&l[i * n..i * n + i], &x[..i]);
            x[i] = (x[i] - s) / l[i * n + i];
        }
    }

    /// `L^-T x` in place (backward substitution only).
    pub fn backward_in_place(&self, x: &mut [f64]) {
        let (n, l) = (self.n, &self.l);
        for i in (0..n).rev() {
            let (head, tail) = x.split_at_mut(i);
            tail[0] /= l[i * n + i];
            axpy(-tail[0], &l[i * n..i * n + i], head);
        }
    }
}

/// LU factorization with partial (row) pivoting, `P A = L U`, for the
/// non-symmetric matrices of the non-ideal circuit.
#[derive(Clone, Debug)]
pub struct Lu {
    n: usize,
    a: Vec<f64>,
    perm: Vec<usize>,
}

impl Lu {
    /// Factor a row-major matrix. `Err(k)` if it is singular at column `k`.
    pub fn new(a: &[f64], n: usize) -> Result<Self, usize> {
        assert_eq!(a.len(), n * n);
        let mut a = a.to_vec();
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let mut p = k;
            let mut best = a[k * n + k].abs();
            for i in k + 1..n {
                let v = a[i * n + k].abs();
                if v > best {
                    best = v;
                    p = i;
                }
            }
            if !(best > 0.0 && best.is_finite()) {
                return Err(k);
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
                perm.swap(k, p);
            }
            let (top, bottom) = a.split_at_mut((k + 1) * n);
            let row_k = &top[k * n..(k + 1) * n];
            let pivot = row_k[k];
            for row_i in bottom.chunks_exact_mut(n) {
                let f = row_i[k] / pivot;
                row_i[k] = f;
                if f != 0.0 {
                    axpy(-f, &row_k[k + 1..], &mut row_i[k + 1..]);
                }
            }
        }
        Ok(Self { n, a, perm })
    }

    /// Overwrite `x` (holding `b`) with `A^-1 b`.
    pub fn solve_in_place(&self, x: &mut [f64]) {
        let (n, a) = (self.n, &self.a);
        let b: Vec<f64> = self.perm.iter().map(|&p| x[p]).collect();
        x.copy_from_slice(&b);
        for i in 0..n {
            let s = dot(&a[i * n..i * n + i], &x[..i]);
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let s = dot(&a[i * n + i + 1..(i + 1) * n], &x[i + 1..]);
            x[i] = (x[i] - s) / a[i * n + i];
        }
    }
}

/// A factorization that can solve: Cholesky for the symmetric
/// positive-definite case, LU otherwise.
#[derive(Clone, Debug)]
pub enum Factor {
    /// `A = L L^T`.
    Cholesky(Cholesky),
    /// `P A = L U`.
    Lu(Lu),
}

impl Factor {
    /// Overwrite `x` (holding `b`) with `A^-1 b`.
    pub fn solve_in_place(&self, x: &mut [f64]) {
        match self {
            Factor::Cholesky(c) => c.solve_in_place(x),
            Factor::Lu(l) => l.solve_in_place(x),
        }
    }

    /// Cholesky if positive definite, else LU; `None` if singular.
    pub fn any(a: &[f64], n: usize) -> Option<Self> {
        match Cholesky::new(a, n) {
            Ok(c) => Some(Factor::Cholesky(c)),
            Err(_) => Lu::new(a, n).ok().map(Factor::Lu),
        }
    }
}

/// Smallest and largest eigenvalue of a symmetric tridiagonal matrix
/// (diagonal `alpha`, off-diagonal `beta`, `beta.len() + 1 == alpha.len()`)
/// by Sturm-sequence bisection.
pub fn tridiagonal_extremes(alpha: &[f64], beta: &[f64]) -> (f64, f64) {
    let k = alpha.len();
    assert!(k >= 1 && beta.len() + 1 == k);
    // Gershgorin bounds.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..k {
        let r = if i > 0 { beta[i - 1].abs() } else { 0.0 }
            + if i + 1 < k { beta[i].abs() } else { 0.0 };
        lo = lo.min(alpha[i] - r);
        hi = hi.max(alpha[i] + r);
    }
    // Number of eigenvalues strictly below x.
    let count_below = |x: f64| -> usize {
        let mut c = 0;
        let mut d = 1.0f64;
        for i in 0..k {
            let b2 = if i > 0 {
                beta[i - 1] * beta[i - 1]
            } else {
                0.0
            };
            d = alpha[i] - x - if i > 0 { b2 / d } else { 0.0 };
            if d == 0.0 {
                d = -f64::EPSILON * (x.abs() + 1.0);
            }
            if d < 0.0 {
                c += 1;
            }
        }
        c
    };
    let bisect = |index: usize| -> f64 {
        let (mut a, mut b) = (lo, hi);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if m <= a || m >= b {
                break;
            }
            if count_below(m) > index {
                b = m;
            } else {
                a = m;
            }
        }
        0.5 * (a + b)
    };
    (bisect(0), bisect(k - 1))
}

/// Extreme eigenvalues (smallest, largest Ritz value) of a symmetric linear
/// operator by Lanczos with full reorthogonalization, `steps` iterations at
/// most (exact when `steps >= n`). The start vector is drawn from a fixed
/// seed, so the estimate is deterministic. Ritz values lie inside the
/// spectrum: the smallest is an upper bound on `lambda_min`, the largest a
/// lower bound on `lambda_max`.
pub fn lanczos_extremes(
    n: usize,
    steps: usize,
    seed: u64,
    mut apply: impl FnMut(&[f64], &mut [f64]),
) -> (f64, f64) {
    assert!(n > 0);
    let steps = steps.clamp(1, n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let nq = norm2(&q);
    q.iter_mut().for_each(|v| *v /= nq);
    let mut basis: Vec<Vec<f64>> = vec![q];
    let mut alpha = Vec::with_capacity(steps);
    let mut beta: Vec<f64> = Vec::with_capacity(steps);
    let mut w = vec![0.0; n];
    for j in 0..steps {
        apply(&basis[j], &mut w);
        let a = dot(&w, &basis[j]);
        alpha.push(a);
        // Full reorthogonalization, twice ("twice is enough").
        for _ in 0..2 {
            for v in &basis {
                let c = dot(&w, v);
                axpy(-c, v, &mut w);
            }
        }
        let b = norm2(&w);
        let scale = alpha.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
        if j + 1 == steps || b <= 1e-12 * scale {
            break;
        }
        beta.push(b);
        basis.push(w.iter().map(|v| v / b).collect());
    }
    beta.truncate(alpha.len() - 1);
    tridiagonal_extremes(&alpha, &beta)
}

/// Spectral radius of a (possibly non-symmetric) operator by power
/// iteration: the mean log growth over the second half of `iters`
/// normalized steps. Robust to a dominant pair `+rho, -rho` (common here:
/// the spectrum of `A_H^-1 A_L` is nearly symmetric about zero), where the
/// iterate oscillates but its growth rate still tends to `rho`.
pub fn power_radius(
    n: usize,
    iters: usize,
    seed: u64,
    mut apply: impl FnMut(&[f64], &mut [f64]),
) -> f64 {
    let iters = iters.max(4);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let nv = norm2(&v);
    v.iter_mut().for_each(|x| *x /= nv);
    let mut w = vec![0.0; n];
    let mut log_sum = 0.0;
    let mut counted = 0usize;
    for it in 0..iters {
        apply(&v, &mut w);
        let g = norm2(&w);
        if !(g > 0.0 && g.is_finite()) {
            return if g == 0.0 { 0.0 } else { f64::INFINITY };
        }
        if it >= iters / 2 {
            log_sum += g.ln();
            counted += 1;
        }
        for (vi, wi) in v.iter_mut().zip(&w) {
            *vi = wi / g;
        }
    }
    (log_sum / counted as f64).exp()
}

/// All eigenvalues of a small dense symmetric matrix by cyclic Jacobi
/// rotations, ascending. `O(n^3)` per sweep: meant for checks and small
/// matrices, not for crossbar-sized factors.
pub fn jacobi_eigenvalues(a: &Array2<f64>) -> Array1<f64> {
    let n = a.nrows();
    assert_eq!(n, a.ncols());
    let mut m = to_row_major(a);
    for _sweep in 0..100 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    off += m[i * n + j] * m[i * n + j];
                } else {
                    diag += m[i * n + i] * m[i * n + i];
                }
            }
        }
        if off <= 1e-30 * diag.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let app = m[p * n + p];
                let aqq = m[q * n + q];
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
            }
        }
    }
    let mut ev: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    ev.sort_by(|x, y| x.total_cmp(y));
    Array1::from(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn spd(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let g: Vec<f64> = (0..n * n)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| g[i * n + k] * g[j * n + k]).sum::<f64>();
            }
            a[i * n + i] += n as f64;
        }
        a
    }

    #[test]
    fn cholesky_and_lu_solve() {
        let n = 37;
        let a = spd(n, 1);
        let x: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let mut b = vec![0.0; n];
        matvec(&a, n, &x, &mut b);
        let mut y = b.clone();
        Cholesky::new(&a, n).unwrap().solve_in_place(&mut y);
        let mut z = b.clone();
        Lu::new(&a, n).unwrap().solve_in_place(&mut z);
        for i in 0..n {
            assert!((y[i] - x[i]).abs() < 1e-10);
            assert!((z[i] - x[i]).abs() < 1e-10);
        }
    }

    #[test]
    fn cholesky_rejects_indefinite() {
        let a = [1.0, 2.0, 2.0, 1.0];
        assert_eq!(Cholesky::new(&a, 2).unwrap_err(), 1);
        let mut x = [1.0, 0.0];
        Lu::new(&a, 2).unwrap().solve_in_place(&mut x);
        assert!((x[0] + 1.0 / 3.0).abs() < 1e-15 && (x[1] - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn lanczos_matches_jacobi() {
        let n = 30;
        let a = spd(n, 2);
        let ev = jacobi_eigenvalues(&from_row_major(n, a.clone()));
        let (lo, hi) = lanczos_extremes(n, n, 7, |x, y| matvec(&a, n, x, y));
        assert!((lo - ev[0]).abs() < 1e-8 * ev[n - 1]);
        assert!((hi - ev[n - 1]).abs() < 1e-8 * ev[n - 1]);
        let r = power_radius(n, 400, 3, |x, y| matvec(&a, n, x, y));
        assert!((r - ev[n - 1]).abs() < 1e-3 * ev[n - 1]);
    }

    #[test]
    fn jacobi_small() {
        let ev = jacobi_eigenvalues(&array![[2.0, 1.0], [1.0, 2.0]]);
        assert!((ev[0] - 1.0).abs() < 1e-14 && (ev[1] - 3.0).abs() < 1e-14);
        let (lo, hi) = tridiagonal_extremes(&[2.0, 2.0], &[1.0]);
        assert!((lo - 1.0).abs() < 1e-12 && (hi - 3.0).abs() < 1e-12);
    }
}
