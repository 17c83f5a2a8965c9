//! The context filter and dependencies, the stage after full-text
//! relevance: an SOP is used only at its locations, inside its local time
//! window, up to its `valid_until` date, and only when every SOP it builds
//! on (its dependencies, transitively) is in the set and applies too. A
//! retrieved SOP that fails is dropped before the best match is chosen, so
//! the next candidate that applies can win.
//!
//! What the classifier cannot know is not assumed: with no location, an SOP
//! limited to some locations is dropped; with no local time, one with a time
//! window or a `valid_until` date is dropped.

use std::fmt;

use clubos_domain::LocationId;
use jiff::civil::DateTime;

use super::evidence::Evidence;
use super::hash::FastMap;
use crate::sop::{Sop, SopContext};

/// Where and when a text arrived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Situation<'a> {
    /// The location the customer texted.
    pub location: Option<&'a LocationId>,
    /// The wall-clock time at that location (from its IANA zone).
    pub local: Option<DateTime>,
}

/// Why an SOP was dropped by the context filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excluded {
    /// Limited to other locations.
    OtherLocation,
    /// Limited to some locations, and the location is unknown.
    UnknownLocation,
    /// Outside its local time window.
    OutsideTimeWindow,
    /// Past its `valid_until` date.
    Expired,
    /// It has a time window or a `valid_until` date and the local time is unknown.
    UnknownTime,
    /// A dependency (by index) does not apply here and now.
    Dependency(u16),
    /// A dependency is not in the classifier's set (not active), or the
    /// dependencies form a cycle.
    MissingDependency,
}

impl fmt::Display for Excluded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Excluded::OtherLocation => f.write_str("other location"),
            Excluded::UnknownLocation => f.write_str("location unknown"),
            Excluded::OutsideTimeWindow => f.write_str("outside its time window"),
            Excluded::Expired => f.write_str("past valid_until"),
            Excluded::UnknownTime => f.write_str("local time unknown"),
            Excluded::Dependency(i) => write!(f, "dependency #{i} does not apply"),
            Excluded::MissingDependency => f.write_str("dependency missing or cyclic"),
        }
    }
}

/// Whether one context lets an SOP apply in `s`.
pub fn check(ctx: &SopContext, s: &Situation<'_>) -> Result<(), Excluded> {
    if !ctx.locations.is_empty() {
        match s.location {
            None => return Err(Excluded::UnknownLocation),
            Some(l) if !ctx.locations.contains(l) => return Err(Excluded::OtherLocation),
            Some(_) => {}
        }
    }
    if ctx.time_window.is_none() && ctx.valid_until.is_none() {
        return Ok(());
    }
    let Some(now) = s.local else {
        return Err(Excluded::UnknownTime);
    };
    if ctx.time_window.is_some_and(|w| !w.contains(now.time())) {
        return Err(Excluded::OutsideTimeWindow);
    }
    if ctx.valid_until.is_some_and(|d| now.date() > d) {
        return Err(Excluded::Expired);
    }
    Ok(())
}

fn restricted(ctx: &SopContext) -> bool {
    !ctx.locations.is_empty() || ctx.time_window.is_some() || ctx.valid_until.is_some()
}

/// What must hold for one conditional SOP.
#[derive(Debug)]
struct Conditions {
    /// Its own context, when it restricts anything.
    own: Option<SopContext>,
    /// Dependencies (transitive) whose own context restricts anything.
    deps: Vec<(u16, SopContext)>,
    /// A dependency is missing or cyclic: never applies.
    broken: bool,
}

/// The compiled filter: the few SOPs whose use depends on the situation
/// (every other SOP always applies), and what each SOP builds on.
#[derive(Debug, Default)]
pub struct Gates {
    /// By SOP index, ascending.
    conditional: Vec<(u16, Conditions)>,
    /// Per SOP: the SOPs it builds on, transitively (empty for most).
    builds_on: Vec<Box<[u16]>>,
}

impl Gates {
    pub fn new(sops: &[Sop]) -> Self {
        let index: FastMap<&str, u16> = sops.iter().enumerate().map(|(i, s)| (s.id.as_str(), i as u16)).collect();
        let closures: Vec<(Vec<u16>, bool)> = (0..sops.len()).map(|i| closure(i, sops, &index)).collect();
        let mut conditional = Vec::new();
        for (i, s) in sops.iter().enumerate() {
            let (deps, own_broken) = &closures[i];
            // Building on a broken SOP breaks this one too.
            let broken = *own_broken || deps.iter().any(|&d| closures[usize::from(d)].1);
            let deps: Vec<(u16, SopContext)> = deps
                .iter()
                .filter(|&&d| restricted(&sops[usize::from(d)].context))
                .map(|&d| (d, sops[usize::from(d)].context.clone()))
                .collect();
            let own = restricted(&s.context).then(|| s.context.clone());
            if own.is_some() || !deps.is_empty() || broken {
                conditional.push((i as u16, Conditions { own, deps, broken }));
            }
        }
        let builds_on = closures.into_iter().map(|(c, _)| c.into_boxed_slice()).collect();
        Self { conditional, builds_on }
    }

    /// Whether SOP `i` applies in `s`.
    #[cfg(test)]
    pub fn check(&self, i: usize, s: &Situation<'_>) -> Result<(), Excluded> {
        match self.conditional.binary_search_by_key(&i, |(k, _)| usize::from(*k)) {
            Ok(k) => conditions(&self.conditional[k].1, s),
            Err(_) => Ok(()),
        }
    }

    /// Drops the evidence of every SOP of `ev.active` (the SOPs with
    /// evidence) that does not apply in `s`, lists them in `ev.excluded`
    /// and takes them out of `ev.active`.
    pub fn apply(&self, ev: &mut Evidence, s: &Situation<'_>) {
        if self.conditional.is_empty() {
            return;
        }
        let mut active = std::mem::take(&mut ev.active);
        active.retain(|&i| {
            let Ok(k) = self.conditional.binary_search_by_key(&i, |(k, _)| u32::from(*k)) else {
                return true;
            };
            match conditions(&self.conditional[k].1, s) {
                Ok(()) => true,
                Err(why) => {
                    ev.per_sop[i as usize] = Default::default();
                    if !ev.excluded.iter().any(|(x, _)| u32::from(*x) == i) {
                        ev.excluded.push((i as u16, why));
                    }
                    false
                }
            }
        });
        ev.active = active;
    }

    /// The SOPs `i` builds on, transitively.
    pub fn builds_on(&self, i: usize) -> &[u16] {
        self.builds_on.get(i).map_or(&[], |b| b)
    }
}

fn conditions(c: &Conditions, s: &Situation<'_>) -> Result<(), Excluded> {
    if c.broken {
        return Err(Excluded::MissingDependency);
    }
    if let Some(own) = &c.own {
        check(own, s)?;
    }
    for (d, ctx) in &c.deps {
        check(ctx, s).map_err(|_| Excluded::Dependency(*d))?;
    }
    Ok(())
}

/// The transitive dependencies of SOP `i` (without `i`), and whether one
/// is missing from the set or leads back to `i`.
fn closure(i: usize, sops: &[Sop], index: &FastMap<&str, u16>) -> (Vec<u16>, bool) {
    let mut out: Vec<u16> = Vec::new();
    let mut broken = false;
    let mut stack: Vec<&str> = sops[i].dependencies.iter().map(|d| d.as_str()).collect();
    while let Some(id) = stack.pop() {
        let Some(&d) = index.get(id) else {
            broken = true;
            continue;
        };
        if usize::from(d) == i {
            broken = true;
            continue;
        }
        if out.contains(&d) {
            continue;
        }
        out.push(d);
        stack.extend(sops[usize::from(d)].dependencies.iter().map(|x| x.as_str()));
    }
    out.sort_unstable();
    (out, broken)
}
