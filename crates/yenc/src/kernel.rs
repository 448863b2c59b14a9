//! Which SIMD kernels this CPU can run, chosen once at run time.

use std::sync::OnceLock;

/// An implementation of the encode and decode loops. All of them produce the
/// same bytes as [`Kernel::Scalar`]; they differ only in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    Scalar,
    Sse2,
    Ssse3,
    Avx2,
    /// AVX-512 F/BW/VL/VBMI/VBMI2 with BMI2.
    Avx512,
}

impl Kernel {
    /// Every kernel, slowest first.
    pub const ALL: [Kernel; 5] = [
        Kernel::Scalar,
        Kernel::Sse2,
        Kernel::Ssse3,
        Kernel::Avx2,
        Kernel::Avx512,
    ];

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Kernel::Scalar => true,
                Kernel::Sse2 => is_x86_feature_detected!("sse2"),
                Kernel::Ssse3 => {
                    is_x86_feature_detected!("ssse3") && is_x86_feature_detected!("popcnt")
                }
                Kernel::Avx2 => {
                    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
                }
                Kernel::Avx512 => {
                    is_x86_feature_detected!("avx512f")
                        && is_x86_feature_detected!("avx512bw")
                        && is_x86_feature_detected!("avx512vl")
                        && is_x86_feature_detected!("avx512vbmi")
                        && is_x86_feature_detected!("avx512vbmi2")
                        && is_x86_feature_detected!("bmi1")
                        && is_x86_feature_detected!("bmi2")
                        && is_x86_feature_detected!("popcnt")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Kernel::Scalar
        }
    }

    /// The kernels this CPU can run.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|k| k.is_available())
            .collect()
    }

    /// The fastest kernel this CPU can run (detected once).
    pub fn best() -> Kernel {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| {
            Kernel::ALL
                .into_iter()
                .rev()
                .find(|k| k.is_available())
                .unwrap_or(Kernel::Scalar)
        })
    }

    /// This kernel if the CPU can run it, else the best one it can.
    pub(crate) fn or_best(self) -> Kernel {
        if self.is_available() {
            self
        } else {
            Kernel::best()
        }
    }
}
