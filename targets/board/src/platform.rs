//! The board's platform services, implementing `caplet-core`'s traits.
//!
//! | capability | service | notes |
//! |---|---|---|
//! | `log` | [`DefmtLog`] | one `defmt` line per plugin line, at the plugin's level |
//! | `emit` | [`DefmtEvents`] | one `defmt` line per event (topic and bytes) |
//! | `clock` | [`TickClock`] | monotonic from a tick counter; wall = a set epoch + monotonic |
//! | `random` | [`BoardEntropy`] | **not cryptographically secure** (xorshift64*) |
//! | `kv` | [`BoardKv`] | in RAM, bounded by keys *and* bytes |
//! | `fs`, `net`, `env`, `secrets` | none | granting them fails the load |

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use caplet_core::platform::{Clock, ClockId, Entropy, EventSink, KvStore, Level, LogSink};
use caplet_core::{Code, Platform};

/// Plugin log lines as `defmt` lines: `[plugin] message`, at the plugin's level.
/// `DEFMT_LOG` decides at compile time which levels reach the image.
pub struct DefmtLog;

impl LogSink for DefmtLog {
    fn log(&self, plugin: &str, level: Level, message: &str) {
        match level {
            Level::Trace => defmt::trace!("[{=str}] {=str}", plugin, message),
            Level::Debug => defmt::debug!("[{=str}] {=str}", plugin, message),
            Level::Info => defmt::info!("[{=str}] {=str}", plugin, message),
            Level::Warn => defmt::warn!("[{=str}] {=str}", plugin, message),
            Level::Error => defmt::error!("[{=str}] {=str}", plugin, message),
        }
    }
}

/// Events as `defmt` lines: `[plugin] event topic: bytes`.
pub struct DefmtEvents;

impl EventSink for DefmtEvents {
    fn emit(&self, plugin: &str, topic: &str, data: &[u8]) -> Result<(), Code> {
        defmt::info!("[{=str}] event {=str}: {=[u8]}", plugin, topic, data);
        Ok(())
    }
}

/// Reads a free-running tick counter (SysTick, a cycle counter, a timer).
pub trait Ticks: Send + Sync {
    /// Ticks since boot; MUST never decrease.
    fn ticks(&self) -> u64;
    /// Ticks per second.
    fn hz(&self) -> u64;
}

/// `clock` from a tick counter. Monotonic time is ticks since boot; wall time is
/// the epoch given to [`TickClock::with_wall`] (from an RTC, GNSS, or the network)
/// plus monotonic time. Without one, wall time is `UNSUPPORTED`: a board that does
/// not know the date says so rather than answering 1970.
pub struct TickClock<T> {
    ticks: T,
    wall_at_boot_ns: Option<u64>,
}

impl<T: Ticks> TickClock<T> {
    /// A clock with monotonic time only.
    pub const fn new(ticks: T) -> Self {
        TickClock {
            ticks,
            wall_at_boot_ns: None,
        }
    }

    /// Wall time is `epoch_at_boot_ns` (ns since the Unix epoch at boot) plus
    /// monotonic time.
    pub const fn with_wall(mut self, epoch_at_boot_ns: u64) -> Self {
        self.wall_at_boot_ns = Some(epoch_at_boot_ns);
        self
    }

    fn monotonic_ns(&self) -> u64 {
        let hz = self.ticks.hz().max(1);
        let t = self.ticks.ticks();
        // Split to avoid overflow: whole seconds, then the remainder.
        (t / hz)
            .saturating_mul(1_000_000_000)
            .saturating_add((t % hz) * 1_000_000_000 / hz)
    }
}

impl<T: Ticks> Clock for TickClock<T> {
    fn now_ns(&self, clock: ClockId) -> Result<u64, Code> {
        let mono = self.monotonic_ns();
        match clock {
            ClockId::Monotonic => Ok(mono),
            ClockId::Wall => self
                .wall_at_boot_ns
                .map(|boot| boot.saturating_add(mono))
                .ok_or(Code::Unsupported),
        }
    }
}

/// `random` for boards without a hardware RNG: xorshift64* seeded by the firmware
/// (from whatever varies between boots: ADC noise, an uninitialised RAM word, the
/// timer at the first button press).
///
/// **Not cryptographically secure**: its output is predictable from a few outputs
/// or from the seed. Plugins that need secrets must not run on it; a board with a
/// TRNG implements `Entropy` over that instead.
pub struct BoardEntropy(spin::Mutex<u64>);

impl BoardEntropy {
    /// A generator seeded with `seed` (0 is replaced by a fixed odd constant).
    pub const fn new(seed: u64) -> Self {
        BoardEntropy(spin::Mutex::new(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        }))
    }

    fn next(&self) -> u64 {
        let mut state = self.0.lock();
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Entropy for BoardEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Code> {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// Bytes charged per stored entry on top of key and value (tree node share and
/// allocation headers), so the byte budget bounds real heap use.
const ENTRY_OVERHEAD: usize = 48;

/// An in-RAM KV store bounded by keys per namespace (the caller's `max_keys`),
/// namespaces, and total bytes. Every allocation is reserved fallibly, so a full
/// arena answers `LIMIT` instead of aborting the board.
pub struct BoardKv {
    inner: spin::Mutex<KvInner>,
    max_namespaces: usize,
    max_bytes: usize,
}

struct KvInner {
    spaces: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    bytes: usize,
}

impl BoardKv {
    /// A store of at most `max_namespaces` plugins and `max_bytes` bytes in all.
    pub const fn new(max_namespaces: usize, max_bytes: usize) -> Self {
        BoardKv {
            inner: spin::Mutex::new(KvInner {
                spaces: BTreeMap::new(),
                bytes: 0,
            }),
            max_namespaces,
            max_bytes,
        }
    }

    /// Bytes charged to the budget now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }
}

fn owned(text: &str) -> Result<String, Code> {
    let mut s = String::new();
    s.try_reserve_exact(text.len()).map_err(|_| Code::Limit)?;
    s.push_str(text);
    Ok(s)
}

impl KvStore for BoardKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, Code> {
        let inner = self.inner.lock();
        let Some(value) = inner.spaces.get(namespace).and_then(|s| s.get(key)) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        out.try_reserve_exact(value.len())
            .map_err(|_| Code::Limit)?;
        out.extend_from_slice(value);
        Ok(Some(out))
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8], max_keys: usize) -> Result<(), Code> {
        let mut inner = self.inner.lock();
        let KvInner { spaces, bytes } = &mut *inner;
        if !spaces.contains_key(namespace) {
            if spaces.len() >= self.max_namespaces {
                return Err(Code::Limit);
            }
            spaces.insert(owned(namespace)?, BTreeMap::new());
        }
        let space = spaces.get_mut(namespace).ok_or(Code::Internal)?;
        let old = space.get(key).map(|v| key.len() + v.len() + ENTRY_OVERHEAD);
        if old.is_none() && space.len() >= max_keys {
            return Err(Code::Limit);
        }
        let new = key.len() + value.len() + ENTRY_OVERHEAD;
        let after = *bytes - old.unwrap_or(0) + new;
        if after > self.max_bytes {
            return Err(Code::Limit);
        }
        let mut stored = Vec::new();
        stored
            .try_reserve_exact(value.len())
            .map_err(|_| Code::Limit)?;
        stored.extend_from_slice(value);
        match space.get_mut(key) {
            Some(slot) => *slot = stored,
            None => {
                space.insert(owned(key)?, stored);
            }
        }
        *bytes = after;
        Ok(())
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), Code> {
        let mut inner = self.inner.lock();
        let KvInner { spaces, bytes } = &mut *inner;
        let space = spaces.get_mut(namespace).ok_or(Code::NotFound)?;
        let value = space.remove(key).ok_or(Code::NotFound)?;
        *bytes -= key.len() + value.len() + ENTRY_OVERHEAD;
        Ok(())
    }
}

/// The platform of a small board: log and events through `defmt`, the clock, the
/// entropy and the KV store given. Filesystem, HTTP, environment and secrets are
/// absent, so granting them fails the load with `CapabilityUnsupported`.
pub fn board_platform(
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    kv: Arc<dyn KvStore>,
) -> Platform {
    Platform {
        clock: Some(clock),
        entropy: Some(entropy),
        log: Some(Arc::new(DefmtLog)),
        events: Some(Arc::new(DefmtEvents)),
        kv: Some(kv),
        ..Platform::new()
    }
}
