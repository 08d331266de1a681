//! Version bits tests after Core's `versionbits_tests.cpp`: the state machine over a fake
//! chain, with and without warm caches; block versions; statistics; `-vbparams`.

use super::*;

/// A linear chain of (time, version) entries; entry `i` has height `i`.
#[derive(Default)]
struct FakeChain(Vec<(i64, i32)>);

impl BlockTree for FakeChain {
    fn height(&self, i: usize) -> u32 {
        i as u32
    }
    fn prev(&self, i: usize) -> Option<usize> {
        i.checked_sub(1)
    }
    fn ancestor(&self, i: usize, height: u32) -> Option<usize> {
        (height as usize <= i).then_some(height as usize)
    }
    fn median_time_past(&self, i: usize) -> i64 {
        let lo = (i + 1).saturating_sub(11);
        let mut times: Vec<i64> = self.0[lo..=i].iter().map(|e| e.0).collect();
        times.sort_unstable();
        times[times.len() / 2]
    }
    fn version(&self, i: usize) -> i32 {
        self.0[i].1
    }
}

impl FakeChain {
    fn mine(&mut self, height: usize, time: i64, version: i32) -> &mut Self {
        while self.0.len() < height {
            self.0.push((time, version));
        }
        self
    }
    fn tip(&self) -> Option<usize> {
        self.0.len().checked_sub(1)
    }
}

fn test_time(height: i64) -> i64 {
    1_415_926_536 + 600 * height
}

fn normal() -> Deployment {
    Deployment {
        name: "normal",
        gbt_optional_rule: true,
        bit: 8,
        start_time: test_time(10_000),
        timeout: test_time(20_000),
        min_activation_height: 0,
        period: 1000,
        threshold: 900,
    }
}

/// The chain and four deployments on the same bit, each checked with a cache kept across
/// the steps and with a fresh one.
struct Tester {
    chain: FakeChain,
    deployments: [Deployment; 4],
    caches: [StateCache; 4],
    step: u32,
}

use ThresholdState::*;

impl Tester {
    fn new() -> Tester {
        let n = normal();
        let delayed = Deployment {
            min_activation_height: 15_000,
            ..n.clone()
        };
        let always = Deployment {
            start_time: ALWAYS_ACTIVE,
            ..n.clone()
        };
        let never = Deployment {
            start_time: NEVER_ACTIVE,
            ..n.clone()
        };
        Tester {
            chain: FakeChain::default(),
            deployments: [n, delayed, always, never],
            caches: Default::default(),
            step: 0,
        }
    }

    fn reset(&mut self) -> &mut Self {
        self.chain.0.clear();
        self.caches = Default::default();
        self
    }

    fn mine(&mut self, height: usize, time: i64, version: i32) -> &mut Self {
        self.chain
            .mine(height, time, VERSIONBITS_TOP_BITS | version);
        self
    }

    fn state(&mut self, exp: ThresholdState, exp_delayed: ThresholdState) -> &mut Self {
        self.step += 1;
        let tip = self.chain.tip();
        let expected = [exp, exp_delayed, Active, Failed];
        for (k, d) in self.deployments.iter().enumerate() {
            let warm = state_for(d, &self.chain, tip, &mut self.caches[k]);
            let cold = state_for(d, &self.chain, tip, &mut StateCache::new());
            assert_eq!(warm, expected[k], "step {} deployment {k}", self.step);
            assert_eq!(
                cold, expected[k],
                "step {} deployment {k} (cold)",
                self.step
            );
        }
        self
    }

    fn st(&mut self, exp: ThresholdState) -> &mut Self {
        self.state(exp, exp)
    }

    fn since(&mut self, height: u32, height_delayed: u32) -> &mut Self {
        let tip = self.chain.tip();
        let expected = [height, height_delayed, 0, 0];
        for (k, d) in self.deployments.iter().enumerate() {
            let warm = state_since_height_for(d, &self.chain, tip, &mut self.caches[k]);
            let cold = state_since_height_for(d, &self.chain, tip, &mut StateCache::new());
            assert_eq!(
                warm, expected[k],
                "step {} since, deployment {k}",
                self.step
            );
            assert_eq!(
                cold, expected[k],
                "step {} since, deployment {k} (cold)",
                self.step
            );
        }
        self
    }

    fn since1(&mut self, height: u32) -> &mut Self {
        self.since(height, height)
    }
}

#[test]
fn state_machine_as_core_tests_it() {
    let t = test_time;
    let mut v = Tester::new();
    // Defined -> started at the timeout -> failed.
    v.st(Defined)
        .since1(0)
        .mine(1, t(1), 0x100)
        .st(Defined)
        .since1(0)
        .mine(11, t(11), 0x100)
        .st(Defined)
        .mine(989, t(989), 0x100)
        .st(Defined)
        .since1(0)
        .mine(999, t(20_000), 0x100)
        .st(Defined)
        .since1(0)
        .mine(1000, t(20_000), 0)
        .st(Started)
        .since1(1000)
        .mine(1999, t(30_001), 0)
        .st(Started)
        .since1(1000)
        .mine(2000, t(30_002), 0x100)
        .st(Failed)
        .since1(2000)
        .mine(2001, t(30_003), 0x100)
        .st(Failed)
        .mine(2999, t(30_004), 0x100)
        .st(Failed)
        .mine(3000, t(30_005), 0x100)
        .st(Failed)
        .mine(4000, t(30_006), 0x100)
        .st(Failed)
        .since1(2000);
    // Defined -> started -> failed.
    v.reset()
        .st(Defined)
        .mine(1, t(1), 0)
        .st(Defined)
        .mine(1000, t(10_000) - 1, 0x100)
        .st(Defined)
        .since1(0)
        .mine(2000, t(10_000), 0x100)
        .st(Started)
        .since1(2000)
        .mine(2051, t(10_010), 0)
        .st(Started)
        .mine(2950, t(10_020), 0x100)
        .st(Started)
        .mine(3000, t(20_000), 0)
        .st(Failed)
        .since1(3000)
        .mine(4000, t(20_010), 0x100)
        .st(Failed)
        .since1(3000);
    // Defined -> started -> locked in at the timeout -> active.
    v.reset()
        .st(Defined)
        .mine(1, t(1), 0)
        .st(Defined)
        .mine(1000, t(10_000) - 1, 0x101)
        .st(Defined)
        .mine(2000, t(10_000), 0x101)
        .st(Started)
        .since1(2000)
        .mine(2999, t(30_000), 0x100)
        .st(Started)
        .mine(3000, t(30_000), 0x100)
        .st(LockedIn)
        .since1(3000)
        .mine(3999, t(30_001), 0)
        .st(LockedIn)
        .since1(3000)
        .mine(4000, t(30_002), 0)
        .state(Active, LockedIn)
        .since(4000, 3000)
        .mine(14_333, t(30_003), 0)
        .state(Active, LockedIn)
        .since(4000, 3000)
        .mine(24_000, t(40_000), 0)
        .st(Active)
        .since(4000, 15_000);
    // Defined -> started -> locked in before the timeout -> active.
    v.reset()
        .st(Defined)
        .mine(1, t(1), 0)
        .st(Defined)
        .mine(1000, t(10_000) - 1, 0x101)
        .st(Defined)
        .mine(2000, t(10_000), 0x101)
        .st(Started)
        .mine(2050, t(10_010), 0x200)
        .st(Started)
        .mine(2950, t(10_020), 0x100)
        .st(Started)
        .mine(2999, t(19_999), 0x200)
        .st(Started)
        .since1(2000)
        .mine(3000, t(29_999), 0x200)
        .st(LockedIn)
        .since1(3000)
        .mine(3999, t(30_001), 0)
        .st(LockedIn)
        .mine(4000, t(30_002), 0)
        .state(Active, LockedIn)
        .since(4000, 3000)
        .mine(14_333, t(30_003), 0)
        .state(Active, LockedIn)
        .mine(15_000, t(40_000), 0)
        .st(Active)
        .since(4000, 15_000)
        .mine(24_000, t(40_000), 0)
        .st(Active)
        .since(4000, 15_000);
    // Defined for periods -> started for periods -> failed, whatever is signalled then.
    v.reset()
        .st(Defined)
        .mine(999, t(999), 0)
        .st(Defined)
        .mine(1000, t(1000), 0)
        .st(Defined)
        .mine(2000, t(2000), 0)
        .st(Defined)
        .since1(0)
        .mine(3000, t(10_000), 0)
        .st(Started)
        .since1(3000)
        .mine(4000, t(10_000), 0)
        .st(Started)
        .mine(5000, t(10_000), 0)
        .st(Started)
        .mine(5999, t(20_000), 0)
        .st(Started)
        .since1(3000)
        .mine(6000, t(20_000), 0)
        .st(Failed)
        .since1(6000)
        .mine(7000, t(20_000), 0x100)
        .st(Failed)
        .mine(24_000, t(20_000), 0x100)
        .st(Failed)
        .since1(6000);
}

fn regtest_dummy() -> Deployment {
    Deployment {
        start_time: 0,
        ..Deployment::testdummy(108, 144)
    }
}

#[test]
fn block_version_follows_the_deployment() {
    let d = [regtest_dummy()];
    let bit = d[0].mask();
    let vb = VersionBitsCache::new();
    let old = 4;
    // Nothing signals for the first block.
    let empty = FakeChain::default();
    assert_eq!(
        vb.compute_block_version(&empty, &d, None),
        VERSIONBITS_TOP_BITS
    );
    // Start time 0: started from the second period on.
    let mut c = FakeChain::default();
    c.mine(143, 0, old);
    assert_eq!(vb.compute_block_version(&c, &d, c.tip()) & bit, 0);
    c.mine(144, 0, old);
    let v = vb.compute_block_version(&c, &d, c.tip());
    assert_ne!(v & bit, 0);
    assert_eq!(v & VERSIONBITS_TOP_MASK, VERSIONBITS_TOP_BITS);
    assert!(!vb.is_active_after(&c, &d, c.tip(), 0));
    // A period of signalling locks in; the bit stays on until activation.
    c.mine(288, 0, VERSIONBITS_TOP_BITS | bit);
    assert_ne!(vb.compute_block_version(&c, &d, c.tip()) & bit, 0);
    assert_eq!(vb.state(&c, &d, c.tip(), 0), Some(LockedIn));
    c.mine(431, 0, old);
    assert_ne!(vb.compute_block_version(&c, &d, c.tip()) & bit, 0);
    c.mine(432, 0, old);
    assert_eq!(vb.compute_block_version(&c, &d, c.tip()) & bit, 0);
    assert!(vb.is_active_after(&c, &d, c.tip(), 0));

    // With a minimum activation height, signalling goes on until it.
    let delayed = [Deployment {
        min_activation_height: 720,
        ..regtest_dummy()
    }];
    let vb = VersionBitsCache::new();
    assert_ne!(vb.compute_block_version(&c, &delayed, Some(430)) & bit, 0);
    assert_ne!(vb.compute_block_version(&c, &delayed, c.tip()) & bit, 0);
    assert!(!vb.is_active_after(&c, &delayed, c.tip(), 0));
    c.mine(719, 0, old);
    assert!(!vb.is_active_after(&c, &delayed, c.tip(), 0));
    c.mine(720, 0, old);
    assert!(vb.is_active_after(&c, &delayed, c.tip(), 0));
    assert_eq!(vb.compute_block_version(&c, &delayed, c.tip()) & bit, 0);

    // A timeout: the bit is set until the period after the timeout.
    let timing_out = [Deployment {
        timeout: 1_000_000,
        ..regtest_dummy()
    }];
    let vb = VersionBitsCache::new();
    let mut c = FakeChain::default();
    c.mine(144, 0, old);
    assert_ne!(vb.compute_block_version(&c, &timing_out, c.tip()) & bit, 0);
    c.mine(287, 1_000_000, old);
    assert_ne!(vb.compute_block_version(&c, &timing_out, c.tip()) & bit, 0);
    c.mine(288, 1_000_000, old);
    assert_eq!(vb.compute_block_version(&c, &timing_out, c.tip()) & bit, 0);
    assert_eq!(vb.state(&c, &timing_out, c.tip(), 0), Some(Failed));

    // Always and never active deployments never signal.
    for start in [ALWAYS_ACTIVE, NEVER_ACTIVE] {
        let fixed = [Deployment {
            start_time: start,
            ..regtest_dummy()
        }];
        let vb = VersionBitsCache::new();
        assert_eq!(
            vb.compute_block_version(&c, &fixed, c.tip()),
            VERSIONBITS_TOP_BITS
        );
        assert_eq!(
            vb.is_active_after(&c, &fixed, None, 0),
            start == ALWAYS_ACTIVE
        );
    }
}

#[test]
fn statistics_info_and_gbt_status() {
    let d = [regtest_dummy()];
    let bit = d[0].mask();
    let vb = VersionBitsCache::new();
    let mut c = FakeChain::default();
    c.mine(144, 0, VERSIONBITS_TOP_BITS);
    // Block 143 (the last of the first period): defined, next started.
    let info = vb.info(&c, &d, 143, 0).unwrap();
    assert_eq!((info.current, info.next, info.since), (Defined, Started, 0));
    assert_eq!(info.stats, None);
    assert!(info.signalling.is_empty());
    assert_eq!(vb.gbt_status(&c, &d, 143).signalling.len(), 1);
    // Three blocks into the second period, the middle one signalling.
    c.mine(145, 0, VERSIONBITS_TOP_BITS);
    c.mine(146, 0, VERSIONBITS_TOP_BITS | bit);
    c.mine(147, 0, VERSIONBITS_TOP_BITS);
    let info = vb.info(&c, &d, 146, 0).unwrap();
    assert_eq!(
        (info.current, info.next, info.since),
        (Started, Started, 144)
    );
    assert_eq!(info.signalling, vec![false, true, false]);
    assert_eq!(
        info.stats,
        Some(Stats {
            period: 144,
            threshold: 108,
            elapsed: 3,
            count: 1,
            possible: true
        })
    );
    assert_eq!(info.active_since, None);
    let gbt = vb.gbt_status(&c, &d, 146);
    assert_eq!(gbt.signalling[0].name, "testdummy");
    assert_eq!(gbt.signalling[0].bit, 28);
    assert!(gbt.locked_in.is_empty() && gbt.active.is_empty());
    // Not signalling for 37 blocks makes the threshold unreachable.
    c.mine(182, 0, VERSIONBITS_TOP_BITS);
    let (stats, _) = statistics_for(&d[0], &c, Some(181));
    assert_eq!((stats.elapsed, stats.count), (38, 1));
    assert!(!stats.possible);
    // Lock in during the third period; locked in reports no threshold.
    c.mine(288, 0, VERSIONBITS_TOP_BITS);
    c.mine(432, 0, VERSIONBITS_TOP_BITS | bit);
    c.mine(433, 0, VERSIONBITS_TOP_BITS);
    let info = vb.info(&c, &d, 432, 0).unwrap();
    assert_eq!((info.current, info.since), (LockedIn, 432));
    let stats = info.stats.unwrap();
    assert_eq!((stats.threshold, stats.possible), (0, false));
    assert_eq!(info.active_since, None);
    c.mine(576, 0, VERSIONBITS_TOP_BITS);
    let info = vb.info(&c, &d, 575, 0).unwrap();
    assert_eq!((info.current, info.next), (LockedIn, Active));
    assert_eq!(info.active_since, Some(576));
    assert_eq!(vb.gbt_status(&c, &d, 575).active.len(), 1);
    let info = vb.info(&c, &d, 575 - 1, 0).unwrap();
    assert_eq!(info.next, LockedIn);
    c.mine(577, 0, VERSIONBITS_TOP_BITS);
    let info = vb.info(&c, &d, 576, 0).unwrap();
    assert_eq!(
        (info.current, info.since, info.active_since),
        (Active, 576, Some(576))
    );
    assert_eq!(info.stats, None);
}

#[test]
fn unknown_signals_are_noticed() {
    let d = [regtest_dummy()];
    let vb = VersionBitsCache::new();
    let warn = WarningParams {
        period: 144,
        threshold: 108,
        min_height: 0,
    };
    let mut c = FakeChain::default();
    // Bit 3 is nobody's: a full period of it locks in an unknown deployment.
    c.mine(144, 0, VERSIONBITS_TOP_BITS);
    c.mine(288, 0, VERSIONBITS_TOP_BITS | 1 << 3);
    assert_eq!(vb.unknown_activations(&c, &d, warn, 287), vec![(3, false)]);
    c.mine(432, 0, VERSIONBITS_TOP_BITS);
    assert_eq!(vb.unknown_activations(&c, &d, warn, 431), vec![(3, true)]);
    // Bit 28 is testdummy's while it is started: not unknown.
    let vb = VersionBitsCache::new();
    let mut c = FakeChain::default();
    c.mine(144, 0, VERSIONBITS_TOP_BITS);
    c.mine(288, 0, VERSIONBITS_TOP_BITS | 1 << 28);
    assert!(vb.unknown_activations(&c, &d, warn, 287).is_empty());
}

#[test]
fn vbparams_as_core_parses_them() {
    let mut d = vec![Deployment::testdummy(108, 144)];
    let lines = apply_vbparams(&mut d, &["testdummy:1:2".into()]).unwrap();
    assert_eq!(
        (d[0].start_time, d[0].timeout, d[0].min_activation_height),
        (1, 2, 0)
    );
    assert_eq!(
        lines,
        vec!["Setting version bits activation parameters for testdummy to start=1, timeout=2, min_activation_height=0"]
    );
    apply_vbparams(&mut d, &["testdummy:-2:-1:432".into()]).unwrap();
    assert_eq!(
        (d[0].start_time, d[0].timeout, d[0].min_activation_height),
        (-2, -1, 432)
    );
    for (arg, msg) in [
        ("testdummy", "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]"),
        ("testdummy:1:2:3:4", "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]"),
        ("testdummy:x:2", "Invalid nStartTime (x)"),
        ("testdummy:+1:2", "Invalid nStartTime (+1)"),
        ("testdummy:1: 2", "Invalid nTimeout ( 2)"),
        ("testdummy:1:2:", "Invalid min_activation_height ()"),
        ("taproot:1:2", "Invalid deployment (taproot)"),
    ] {
        let err = apply_vbparams(&mut d, &[arg.into()]).unwrap_err();
        assert_eq!(err.to_string(), msg, "{arg}");
    }
}

#[test]
fn names_and_masks() {
    let names: Vec<_> = [Defined, Started, LockedIn, Active, Failed]
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(
        names,
        ["defined", "started", "locked_in", "active", "failed"]
    );
    let d = Deployment::testdummy(1815, 2016);
    assert_eq!(d.mask(), 0x1000_0000);
    assert!(d.signals(0x3000_0000));
    assert!(!d.signals(0x1000_0000));
    assert!(!d.signals(0x7000_0000u32 as i32));
    assert!(!d.enabled());
}
