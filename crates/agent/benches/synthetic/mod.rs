//! A synthetic SOP set for retrieval benchmarks: `n` valid SOPs across the
//! four categories (varied titles, exact phrases, a regex, variants,
//! misspellings, keywords and replies; some limited by location, time window
//! or date, some building on another), plus a mix of customer texts: exact
//! hits, misspellings, paraphrases, starter-set texts and texts for no SOP.
//! Deterministic (a fixed seed), so every run measures the same work.
//!
//! Shared by `benches/retrieve.rs` and `examples/retrieval_p99.rs`.

#![allow(dead_code)]

use clubos_agent::sop::{Sop, SopAction, SopContext, SopTriggers, load_starter_sops, validate_all};
use clubos_domain::time::{LocalTime, TimeWindow};
use clubos_domain::{Category, LocationId, SopId, SubIntent};

/// The location every synthetic location-limited SOP names one of.
pub const LOCATIONS: &[&str] = &["bedford", "halifax", "dartmouth", "truro", "moncton"];

const OBJECTS: &str = "projector, screen, putter, locker, fridge, heater, speaker, hitting mat, net, camera, sensor, \
    remote, tablet, charger, printer, vending machine, coffee machine, dartboard, air conditioner, \
    ceiling fan, light switch, tee box, ball tray, club rack, score screen, keypad, card reader, \
    door handle, lock box, thermostat, water cooler, ice machine, tv, sound bar, microphone, laptop, \
    router, hdmi cable, power strip, launch monitor, driving net, putting green, bench, couch, table, \
    chair, blinds, window, toilet, sink, hand dryer, soap dispenser, mirror, trash can, recycling bin, \
    umbrella stand, coat hook, shoe rack, bag stand, glove dispenser";

const SYMPTOMS: &str = "broken, flickering, leaking, jammed, missing, loud, dead, stuck, cracked, beeping, overheating, \
    unplugged, wobbly, dirty, squeaking, blinking, frozen, sticky, tilted, buzzing, dripping, smoking, \
    rattling, disconnected, scratched, bent, dim, torn, soaked, unresponsive";

const PLACES: &str = "lobby, lounge, patio, restroom, entrance, kitchen, storage room, bar, hallway, party room, \
    vip suite, front desk, back office, locker room, stairwell, parking lot, mezzanine, practice area, \
    kids corner, members lounge, side door, loading dock, upper deck, basement, terrace";

const BOOKING_VERBS: &str = "move, split, transfer, upgrade, pause, merge, hold, share, resend, confirm, rename, downgrade, \
    swap, reassign, prepay, rebook";

const BOOKING_THINGS: &str = "league night, party package, lesson slot, bay time, tournament entry, corporate block, \
    birthday package, member session, clinic spot, fitting appointment, practice block, group booking, \
    season pass, punch card, team event, simulator hour";

const FAQ_ITEMS: &str = "golf balls, gloves, tees, rangefinder, shower, towel, beer, pizza, wine, snacks, left handed clubs, \
    junior clubs, club fitting, swing analysis, gift wrap, loyalty points, student discount, \
    senior discount, dress code, pets, strollers, wheelchair access, coat check, phone charger, \
    outside food, catering, karaoke, darts, shuffleboard, arcade, live sports, music volume, \
    photo booth, lockers, private room, league standings, handicap tracking, course list, \
    putting contest, long drive contest";

const SYLLABLES: &str = "ka, lo, ven, dro, mi, zor, ta, bel, qui, rax, no, shi, pel, gra, tu, vin, sol, mar, ke, fen, ori, \
    lux, dal, cy";

/// The items of a comma-separated list.
fn list(s: &'static str) -> Vec<&'static str> {
    s.split(',').map(str::trim).filter(|w| !w.is_empty()).collect()
}

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A made-up facility name ("kalovendro"), unique per `i`.
pub fn name(i: usize) -> String {
    let syllables = list(SYLLABLES);
    let mut out = String::new();
    let mut x = i + 7;
    for _ in 0..3 {
        out.push_str(syllables[x % syllables.len()]);
        x /= syllables.len();
    }
    out
}

/// `word` with two letters swapped (a typo), if it has five letters or more.
pub fn typo(word: &str) -> Option<String> {
    let b = word.as_bytes();
    if b.len() < 5 || !word.bytes().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    let mut t = b.to_vec();
    t.swap(2, 3);
    (t != b).then(|| String::from_utf8(t).unwrap_or_default())
}

fn slug(s: &str) -> String {
    s.replace(' ', "_")
}

/// What one synthetic SOP is about, to write texts for it.
#[derive(Debug, Clone)]
pub struct Topic {
    pub category: Category,
    /// Main phrase ("projector") and its problem or request ("flickering").
    pub thing: String,
    pub what: String,
    pub place: String,
    pub name: String,
    /// The SOP's id.
    pub id: String,
}

/// SOP `i` of the synthetic set and its topic.
pub fn sop(i: usize, rng: &mut Rng) -> (Sop, Topic) {
    let category = [Category::Tech, Category::Access, Category::Booking, Category::Faq][i % 4];
    let name = name(i);
    let place = rng.pick(&list(PLACES)).to_owned();
    let (thing, what) = match category {
        Category::Tech | Category::Access => {
            (rng.pick(&list(OBJECTS)).to_owned(), rng.pick(&list(SYMPTOMS)).to_owned())
        }
        Category::Booking => (rng.pick(&list(BOOKING_THINGS)).to_owned(), rng.pick(&list(BOOKING_VERBS)).to_owned()),
        Category::Faq => (rng.pick(&list(FAQ_ITEMS)).to_owned(), ["have", "sell", "allow", "offer"][i % 4].to_owned()),
    };
    let (title, exact, variants, reply, action) = match category {
        Category::Tech | Category::Access => (
            format!("{what} {thing} in the {name} {place}"),
            vec![format!("{thing} {what}"), format!("{what} {thing} {name}"), format!("{name} {thing}")],
            vec![format!("the {thing} in the {place} is {what} again"), format!("{place} {thing} seems {what}")],
            format!("Thanks for telling us about the {thing} in the {name} {place}; a team member will look at it."),
            if category == Category::Access { SopAction::UnlockDoor } else { SopAction::Escalate },
        ),
        Category::Booking => (
            format!("{what} a {thing} at {name}"),
            vec![format!("{what} my {thing}"), format!("{what} our {thing}"), format!("{name} {thing}")],
            vec![format!("can we {what} the {thing} we booked"), format!("i want to {what} a {thing}")],
            format!("We can {what} your {thing} at {name}; a team member will confirm shortly."),
            SopAction::Escalate,
        ),
        Category::Faq => (
            format!("{thing} at {name}"),
            vec![format!("do you {what} {thing}"), format!("{thing} at {name}"), format!("{name} {thing}")],
            vec![format!("is there {thing} in the {place}"), format!("any {thing} at {name}")],
            format!("Yes: {name} has {thing} near the {place}. Ask the front desk for details."),
            SopAction::SendReply,
        ),
    };
    let first = thing.split(' ').next().unwrap_or(&thing).to_owned();
    let misspellings: Vec<String> = [typo(&first), typo(&what), typo(&name)].into_iter().flatten().collect();
    let mut keywords: Vec<String> = thing.split(' ').map(str::to_owned).collect();
    keywords.push(what.clone());
    keywords.push(name.clone());
    keywords.dedup();
    let mut context = SopContext::default();
    if i.is_multiple_of(20) {
        context.locations = vec![LocationId::parse(LOCATIONS[i / 20 % LOCATIONS.len()]).expect("slug")];
    }
    if i % 25 == 1 {
        let t = |s| LocalTime::parse(s).expect("time");
        context.time_window = Some(TimeWindow::new(t("08:00"), t("20:00")).expect("window"));
    }
    if i % 30 == 2 {
        context.valid_until = Some(jiff::civil::date(2030, 12, 31));
    }
    let sub = format!("syn{i:04}_{}", slug(&thing));
    let sop = Sop {
        id: SopId::parse(&format!("{category}.{sub}")).expect("id"),
        title,
        category,
        subcategory: SubIntent::parse(&sub).expect("sub-intent"),
        triggers: SopTriggers {
            exact,
            regex: vec![format!(r"\b{first}\b.{{0,20}}\b{what}\b")],
            variants,
            misspellings,
        },
        keywords,
        primary_action: action,
        fallback_action: Some(SopAction::Escalate),
        reply,
        context,
        dependencies: Vec::new(),
    };
    let id = sop.id.to_string();
    (sop, Topic { category, thing, what, place, name, id })
}

/// The starter SOPs plus `n` synthetic ones (about one in forty builds on
/// the synthetic SOP four before it), validated as a set.
pub fn sops(n: usize) -> (Vec<Sop>, Vec<Topic>) {
    let mut rng = Rng::new(0x5eed);
    let mut all = load_starter_sops();
    let mut topics = Vec::with_capacity(n);
    for i in 0..n {
        let (mut s, t) = sop(i, &mut rng);
        if i % 40 == 5 {
            s.dependencies.push(all[all.len() - 4].id.clone());
        }
        all.push(s);
        topics.push(t);
    }
    validate_all(&all).expect("the synthetic SOPs are valid");
    (all, topics)
}

const STARTER_TEXTS: &[&str] = &[
    "trackman frozen bay 3",
    "dor wont opn, been waiting outside 10 min",
    "what time do you close tonight?",
    "can i cancle my booking for tomorrow",
    "do you guys have left handed clubs i can use?",
];

const NONE_TEXTS: &[&str] = &[
    "perfect, thanks so much!",
    "asdf qwerty zxcv",
    "wrong number sorry",
    "who won the game last night",
    "ok see you soon",
];

/// One customer text of the mix.
#[derive(Debug, Clone)]
pub struct Query {
    /// `exact`, `misspelling`, `paraphrase`, `starter` or `none`.
    pub kind: &'static str,
    pub text: String,
    /// The synthetic SOP the text was written from, if any.
    pub target: Option<String>,
}

/// `n` customer texts: for every five, an exact hit, a misspelling, a
/// paraphrase (all about synthetic SOPs), a starter-set text and a text
/// for no SOP.
pub fn queries(topics: &[Topic], n: usize) -> Vec<Query> {
    let mut rng = Rng::new(0xfeed);
    (0..n)
        .map(|k| {
            let t = &topics[rng.below(topics.len())];
            let about = |kind, text| Query { kind, text, target: Some(t.id.clone()) };
            match k % 5 {
                0 => about("exact", format!("the {} {} in bay {}", t.thing, t.what, 1 + k % 8)),
                1 => {
                    let first = t.thing.split(' ').next().unwrap_or(&t.thing);
                    let w = typo(first).unwrap_or_else(|| first.to_owned());
                    about("misspelling", format!("{w} {} {}??", t.thing.trim_start_matches(first).trim(), t.what))
                }
                2 => about(
                    "paraphrase",
                    format!("hey, something is off with the {} near the {} at {}", t.thing, t.place, t.name),
                ),
                3 => {
                    Query { kind: "starter", text: STARTER_TEXTS[k / 5 % STARTER_TEXTS.len()].to_owned(), target: None }
                }
                _ => Query { kind: "none", text: NONE_TEXTS[k / 5 % NONE_TEXTS.len()].to_owned(), target: None },
            }
        })
        .collect()
}
