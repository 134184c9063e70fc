//! Gauss-Krüger (transverse Mercator) projection on the CGCS2000 ellipsoid, scale 1 on the
//! central meridian, no false easting or northing (those belong to the zone, see `crs`).
//!
//! The projection is Krüger's series in the third flattening n, carried to order n⁶ as in
//! Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 85 (2011):
//! the same α and β series as Poder/Engsager, which PROJ's `tmerc` uses by default, and as
//! GeographicLib's `TransverseMercator`. Geodetic ↔ conformal latitude also goes through an
//! order-6 series in n (Engsager/Poder), so both directions are a handful of trigonometric calls
//! and no iteration. Karney bounds the truncation error at 5 nm within 3 900 km of the central
//! meridian, far beyond a 3° or 6° band and its tolerated overshoot; `crs`'s tests check the
//! result against PROJ 9.5.1. The older Redfearn series in powers of the longitude difference is
//! held to a millimetre only within a few degrees of the central meridian and degrades quickly
//! beyond, which is where data delivered past the edge of a 6° band lies.
//!
//! Why not a crate: `proj4rs` 0.3 (the maintained pure-Rust port of PROJ) implements the same
//! Poder/Engsager series and agrees with PROJ to nanometres too, but it goes through proj-string
//! parsing, a fallible per-point transform pipeline and (x, y, z) tuples in radians, brings its
//! own dependencies, and its inverse took about 1.6 times as long per point as [`inverse`] here,
//! which the area computation calls for every vertex of every parcel. What it would replace is a
//! few coefficient tables, evaluated at compile time, and two short functions.

use super::crs::{FLATTENING, SEMI_MAJOR_AXIS};

const ORDER: usize = 6;

/// Third flattening.
const N: f64 = FLATTENING / (2.0 - FLATTENING);

/// Rectifying radius: the meridian arc length from the equator to latitude φ is this times the
/// rectifying latitude, so it scales the normalised Krüger coordinates to metres.
const RECTIFYING_RADIUS: f64 = {
    let n2 = N * N;
    SEMI_MAJOR_AXIS / (1.0 + N) * (1.0 + n2 * (1.0 / 4.0 + n2 * (1.0 / 64.0 + n2 / 256.0)))
};

/// Krüger α: conformal sphere → ellipsoidal transverse Mercator (Karney eq. 35).
#[rustfmt::skip]
const ALPHA: [f64; ORDER] = {
    let n = N;
    let n2 = n * n;
    [
        n * (1.0 / 2.0 + n * (-2.0 / 3.0 + n * (5.0 / 16.0 + n * (41.0 / 180.0 + n * (-127.0 / 288.0 + n * (7891.0 / 37800.0)))))),
        n2 * (13.0 / 48.0 + n * (-3.0 / 5.0 + n * (557.0 / 1440.0 + n * (281.0 / 630.0 + n * (-1983433.0 / 1935360.0))))),
        n2 * n * (61.0 / 240.0 + n * (-103.0 / 140.0 + n * (15061.0 / 26880.0 + n * (167603.0 / 181440.0)))),
        n2 * n2 * (49561.0 / 161280.0 + n * (-179.0 / 168.0 + n * (6601661.0 / 7257600.0))),
        n2 * n2 * n * (34729.0 / 80640.0 + n * (-3418889.0 / 1995840.0)),
        n2 * n2 * n2 * (212378941.0 / 319334400.0),
    ]
};

/// Krüger β, negated: ellipsoidal transverse Mercator → conformal sphere (Karney eq. 36).
#[rustfmt::skip]
const MINUS_BETA: [f64; ORDER] = {
    let n = N;
    let n2 = n * n;
    [
        n * (-1.0 / 2.0 + n * (2.0 / 3.0 + n * (-37.0 / 96.0 + n * (1.0 / 360.0 + n * (81.0 / 512.0 + n * (-96199.0 / 604800.0)))))),
        n2 * (-1.0 / 48.0 + n * (-1.0 / 15.0 + n * (437.0 / 1440.0 + n * (-46.0 / 105.0 + n * (1118711.0 / 3870720.0))))),
        n2 * n * (-17.0 / 480.0 + n * (37.0 / 840.0 + n * (209.0 / 4480.0 + n * (-5569.0 / 90720.0)))),
        n2 * n2 * (-4397.0 / 161280.0 + n * (11.0 / 504.0 + n * (830251.0 / 7257600.0))),
        n2 * n2 * n * (-4583.0 / 161280.0 + n * (108847.0 / 3991680.0)),
        n2 * n2 * n2 * (-20648693.0 / 638668800.0),
    ]
};

/// Geodetic → conformal latitude, χ = φ + Σ cₖ sin 2kφ (Engsager/Poder).
#[rustfmt::skip]
const GEODETIC_TO_CONFORMAL: [f64; ORDER] = {
    let n = N;
    let n2 = n * n;
    [
        n * (-2.0 + n * (2.0 / 3.0 + n * (4.0 / 3.0 + n * (-82.0 / 45.0 + n * (32.0 / 45.0 + n * (4642.0 / 4725.0)))))),
        n2 * (5.0 / 3.0 + n * (-16.0 / 15.0 + n * (-13.0 / 9.0 + n * (904.0 / 315.0 + n * (-1522.0 / 945.0))))),
        n2 * n * (-26.0 / 15.0 + n * (34.0 / 21.0 + n * (8.0 / 5.0 + n * (-12686.0 / 2835.0)))),
        n2 * n2 * (1237.0 / 630.0 + n * (-12.0 / 5.0 + n * (-24832.0 / 14175.0))),
        n2 * n2 * n * (-734.0 / 315.0 + n * (109598.0 / 31185.0)),
        n2 * n2 * n2 * (444337.0 / 155925.0),
    ]
};

/// Conformal → geodetic latitude, φ = χ + Σ cₖ sin 2kχ (Engsager/Poder).
#[rustfmt::skip]
const CONFORMAL_TO_GEODETIC: [f64; ORDER] = {
    let n = N;
    let n2 = n * n;
    [
        n * (2.0 + n * (-2.0 / 3.0 + n * (-2.0 + n * (116.0 / 45.0 + n * (26.0 / 45.0 + n * (-2854.0 / 675.0)))))),
        n2 * (7.0 / 3.0 + n * (-8.0 / 5.0 + n * (-227.0 / 45.0 + n * (2704.0 / 315.0 + n * (2323.0 / 945.0))))),
        n2 * n * (56.0 / 15.0 + n * (-136.0 / 35.0 + n * (-1262.0 / 105.0 + n * (73814.0 / 2835.0)))),
        n2 * n2 * (4279.0 / 630.0 + n * (-332.0 / 35.0 + n * (-399572.0 / 14175.0))),
        n2 * n2 * n * (4174.0 / 315.0 + n * (-144838.0 / 6237.0)),
        n2 * n2 * n2 * (601676.0 / 22275.0),
    ]
};

/// Projects geodetic latitude `phi` at longitude `lam` from the central meridian (both radians)
/// to `(x, y)` in metres: x east of the central meridian, y north of the equator.
pub fn forward(lam: f64, phi: f64) -> (f64, f64) {
    let (sin_2phi, cos_2phi) = (2.0 * phi).sin_cos();
    let chi = phi + clenshaw(&GEODETIC_TO_CONFORMAL, sin_2phi, cos_2phi);
    let (sin_chi, cos_chi) = chi.sin_cos();
    let (sin_lam, cos_lam) = lam.sin_cos();
    // Karney's η' = asinh(sin λ / √(τ'² + cos² λ)) is atanh(cos χ sin λ), one call cheaper.
    let xi = sin_chi.atan2(cos_chi * cos_lam);
    let eta = (cos_chi * sin_lam).atanh();
    let (d_xi, d_eta) = clenshaw_complex(&ALPHA, xi, eta);
    (
        RECTIFYING_RADIUS * (eta + d_eta),
        RECTIFYING_RADIUS * (xi + d_xi),
    )
}

/// Inverse of [`forward`]: `(x, y)` in metres from the central meridian and the equator to
/// `(lam, phi)` in radians, longitude relative to the central meridian.
pub fn inverse(x: f64, y: f64) -> (f64, f64) {
    let xi = y / RECTIFYING_RADIUS;
    let eta = x / RECTIFYING_RADIUS;
    let (d_xi, d_eta) = clenshaw_complex(&MINUS_BETA, xi, eta);
    let (sin_xi, cos_xi) = (xi + d_xi).sin_cos();
    let (sinh_eta, cosh_eta) = sinh_cosh(eta + d_eta);
    let lam = sinh_eta.atan2(cos_xi);
    // On the conformal sphere cos χ · cosh η' = √(sinh² η' + cos² ξ') and sin χ · cosh η' =
    // sin ξ', which also give sin 2χ and cos 2χ for the latitude series without more trigonometry.
    let r = (sinh_eta * sinh_eta + cos_xi * cos_xi).sqrt();
    let chi = sin_xi.atan2(r);
    let (sin_chi, cos_chi) = (sin_xi / cosh_eta, r / cosh_eta);
    let sin_2chi = 2.0 * sin_chi * cos_chi;
    let cos_2chi = (cos_chi - sin_chi) * (cos_chi + sin_chi);
    (
        lam,
        chi + clenshaw(&CONFORMAL_TO_GEODETIC, sin_2chi, cos_2chi),
    )
}

/// Σₖ cₖ sin 2kθ from sin 2θ and cos 2θ by Clenshaw's recurrence.
fn clenshaw(c: &[f64; ORDER], sin_2theta: f64, cos_2theta: f64) -> f64 {
    let w = 2.0 * cos_2theta;
    let (mut b1, mut b2) = (0.0, 0.0);
    for &ck in c.iter().rev() {
        (b1, b2) = (ck + w * b1 - b2, b1);
    }
    b1 * sin_2theta
}

/// Σₖ cₖ sin 2kζ for complex ζ = ξ + iη, returned as (real, imaginary), by Clenshaw's
/// recurrence in complex arithmetic.
fn clenshaw_complex(c: &[f64; ORDER], xi: f64, eta: f64) -> (f64, f64) {
    let (s, co) = (2.0 * xi).sin_cos();
    let (sh, ch) = sinh_cosh(2.0 * eta);
    // w = 2 cos 2ζ
    let (wr, wi) = (2.0 * co * ch, -2.0 * s * sh);
    let (mut b1r, mut b1i, mut b2r, mut b2i) = (0.0, 0.0, 0.0, 0.0);
    for &ck in c.iter().rev() {
        let br = ck + wr * b1r - wi * b1i - b2r;
        let bi = wr * b1i + wi * b1r - b2i;
        (b2r, b2i, b1r, b1i) = (b1r, b1i, br, bi);
    }
    // sin 2ζ
    let (sr, si) = (s * ch, co * sh);
    (b1r * sr - b1i * si, b1r * si + b1i * sr)
}

/// sinh and cosh from one `exp_m1`, which keeps sinh exact to rounding near 0 (every point
/// near a central meridian) at a third of the cost of calling both.
fn sinh_cosh(x: f64) -> (f64, f64) {
    let em1 = x.exp_m1();
    let e = em1 + 1.0;
    (0.5 * (em1 + em1 / e), 0.5 * (e + 1.0 / e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_meridian_is_the_meridian_arc() {
        // Quarter meridian of GRS 80 / CGCS2000, 10 001 965.7293 m (Moritz, Geodetic Reference
        // System 1980, Bull. Géod. 54).
        let (x, y) = forward(0.0, std::f64::consts::FRAC_PI_2);
        assert!(x.abs() < 1e-9, "x = {x}");
        assert!((y - 10_001_965.729_3).abs() < 1e-4, "y = {y}");
        assert_eq!(forward(0.0, 0.0), (0.0, 0.0));
        assert_eq!(inverse(0.0, 0.0), (0.0, 0.0));
    }

    #[test]
    fn symmetric_about_meridian_and_equator() {
        let (lam, phi) = (0.031, 0.62);
        let (x, y) = forward(lam, phi);
        assert_eq!(forward(-lam, phi), (-x, y));
        assert_eq!(forward(lam, -phi), (x, -y));
    }

    #[test]
    fn round_trip_far_beyond_a_band() {
        // Up to 10° from the central meridian (over 1 000 km), three times the reach of a
        // 6° band plus the tolerated overshoot.
        let mut worst: f64 = 0.0;
        for i in -20..=20 {
            for j in 0..=18 {
                let lam = f64::from(i) * 0.5_f64.to_radians();
                let phi = f64::from(j * 5).min(89.0).to_radians();
                let (x, y) = forward(lam, phi);
                let (lam2, phi2) = inverse(x, y);
                let (x2, y2) = forward(lam2, phi2);
                worst = worst.max((x2 - x).hypot(y2 - y));
            }
        }
        assert!(worst < 1e-6, "round trip off by {worst} m");
    }
}
