//! The claim saga driven by scripted shards: every shard dry, hints that skip dry shards, a
//! shard that does not answer, a unit taken and then refused by the member (given back
//! exactly once), retries of one claim id that never hold two units, and seeded random worlds.

mod common;

use common::Lcg;
use pharmedge::domain::campaign::StockRefusal;
use pharmedge::domain::claim_saga::*;
use std::collections::BTreeSet;

/// How a scripted shard behaves toward calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    Up,
    /// The call fails before the shard sees it.
    Down,
    /// The shard carries the call out, but its answer is lost.
    LosesAnswers,
}

#[derive(Debug, Clone)]
struct Shard {
    remaining: i64,
    taken: BTreeSet<String>,
    closed: Option<StockRefusal>,
    link: Link,
}

impl Shard {
    fn with(remaining: i64) -> Self {
        Shard {
            remaining,
            taken: BTreeSet::new(),
            closed: None,
            link: Link::Up,
        }
    }

    /// The stock shard's rules: a claim id holds at most one unit.
    fn take(&mut self, claim_id: &str) -> Reply<&'static str> {
        if self.link == Link::Down {
            return Reply::Unreachable;
        }
        let reply = if self.taken.contains(claim_id) {
            Reply::Taken
        } else if let Some(refusal) = self.closed {
            Reply::Closed(refusal)
        } else if self.remaining <= 0 {
            Reply::Dry
        } else {
            self.remaining -= 1;
            self.taken.insert(claim_id.to_owned());
            Reply::Taken
        };
        self.answer(reply)
    }

    fn release(&mut self, claim_id: &str) -> Reply<&'static str> {
        if self.link == Link::Down {
            return Reply::Unreachable;
        }
        if self.taken.remove(claim_id) {
            self.remaining += 1;
        }
        self.answer(Reply::Released)
    }

    fn answer(&self, reply: Reply<&'static str>) -> Reply<&'static str> {
        match self.link {
            Link::LosesAnswers => Reply::Unreachable,
            _ => reply,
        }
    }
}

/// What a run of the saga did.
#[derive(Debug)]
struct Run {
    steps: Vec<Step<&'static str>>,
    outcome: Outcome<&'static str>,
    unreleased: Vec<Hold>,
    answered_dry: Vec<u32>,
}

/// Runs one claim to its end against `shards`; the member's side answers `member`.
fn run(
    shards: &mut [Shard],
    claim_id: &str,
    known_dry: &[u32],
    member: Result<(), &'static str>,
) -> Run {
    let order: Vec<u32> = (0..shards.len() as u32).collect();
    let (mut saga, mut step) = ClaimSaga::start(order, known_dry);
    let mut steps = Vec::new();
    for _ in 0..100 {
        steps.push(step.clone());
        let reply = match &step {
            Step::Take { shard } => shards[*shard as usize].take(claim_id),
            Step::Release(Hold::Unit { shard }) => shards[*shard as usize].release(claim_id),
            // These claims hold no points (tests/domain_exchange_saga.rs does).
            Step::Release(Hold::Points { .. }) => panic!("no points held: {step:?}"),
            Step::Issue => match member {
                Ok(()) => Reply::Issued,
                Err(error) => Reply::NotIssued(error),
            },
            Step::Finish(outcome) => {
                return Run {
                    steps,
                    outcome: outcome.clone(),
                    unreleased: saga.unreleased().to_vec(),
                    answered_dry: saga.answered_dry().to_vec(),
                }
            }
        };
        step = saga.next(reply);
    }
    panic!("the saga did not end: {steps:?}");
}

fn held(shards: &[Shard], claim_id: &str) -> usize {
    shards.iter().filter(|s| s.taken.contains(claim_id)).count()
}

#[test]
fn every_shard_dry_is_sold_out_after_asking_each_once() {
    let mut shards = vec![Shard::with(0), Shard::with(0), Shard::with(0)];
    let ran = run(&mut shards, "c.m.1", &[], Ok(()));
    assert_eq!(ran.outcome, Outcome::SoldOut);
    assert_eq!(
        ran.steps[..3],
        [
            Step::Take { shard: 0 },
            Step::Take { shard: 1 },
            Step::Take { shard: 2 }
        ]
    );
    assert_eq!(ran.steps.len(), 4, "no release, no issue: {:?}", ran.steps);
    assert_eq!(ran.answered_dry, vec![0, 1, 2]);
}

#[test]
fn shards_known_dry_are_not_asked() {
    let mut shards = vec![Shard::with(0), Shard::with(0), Shard::with(5)];
    let ran = run(&mut shards, "c.m.1", &[0, 1], Ok(()));
    assert_eq!(ran.outcome, Outcome::Issued);
    assert_eq!(
        ran.steps,
        [
            Step::Take { shard: 2 },
            Step::Issue,
            Step::Finish(Outcome::Issued)
        ]
    );
    assert_eq!(shards[2].remaining, 4);
    // Every shard known dry: sold out without a single call.
    let ran = run(&mut shards, "c.m.2", &[0, 1, 2], Ok(()));
    assert_eq!(ran.steps, [Step::Finish(Outcome::SoldOut)]);
}

#[test]
fn a_dry_shard_sends_the_claim_on_and_the_unit_comes_from_the_next() {
    let mut shards = vec![Shard::with(0), Shard::with(2)];
    let ran = run(&mut shards, "c.m.1", &[], Ok(()));
    assert_eq!(ran.outcome, Outcome::Issued);
    assert_eq!((shards[0].remaining, shards[1].remaining), (0, 1));
    assert_eq!(ran.answered_dry, vec![0]);
}

#[test]
fn an_unreachable_shard_ends_the_claim_and_no_other_shard_is_asked() {
    let mut shards = vec![Shard::with(3), Shard::with(3)];
    shards[0].link = Link::Down;
    let ran = run(&mut shards, "c.m.1", &[], Ok(()));
    assert_eq!(ran.outcome, Outcome::Unavailable);
    assert!(
        !ran.steps.contains(&Step::Take { shard: 1 }),
        "{:?}",
        ran.steps
    );
    // It may have taken one: the saga asks it to give it back, once.
    let releases = ran
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Release(_)))
        .count();
    assert_eq!(releases, 1);
    assert_eq!(ran.unreleased, vec![Hold::Unit { shard: 0 }]);
    assert_eq!(shards[1].remaining, 3);
}

#[test]
fn a_shard_that_took_a_unit_but_lost_its_answer_gets_it_back() {
    let mut shards = [Shard::with(3)];
    shards[0].link = Link::LosesAnswers;
    // Take carried out, answer lost; the release reaches the shard once the link is back.
    let order = vec![0];
    let (mut saga, step) = ClaimSaga::<&str>::start(order, &[]);
    assert_eq!(step, Step::Take { shard: 0 });
    let reply = shards[0].take("c.m.1");
    assert_eq!(reply, Reply::Unreachable);
    assert_eq!(shards[0].remaining, 2, "taken, unknown to the saga");
    shards[0].link = Link::Up;
    let step = saga.next(reply);
    assert_eq!(step, Step::Release(Hold::Unit { shard: 0 }));
    let step = saga.next(shards[0].release("c.m.1"));
    assert_eq!(step, Step::Finish(Outcome::Unavailable));
    assert_eq!(shards[0].remaining, 3, "given back");
    assert!(saga.unreleased().is_empty());
}

#[test]
fn a_unit_taken_then_refused_by_the_member_is_released_exactly_once() {
    let mut shards = vec![Shard::with(1), Shard::with(1)];
    let ran = run(&mut shards, "c.m.1", &[], Err("wallet_full"));
    assert_eq!(ran.outcome, Outcome::NotIssued("wallet_full"));
    let releases: Vec<_> = ran
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Release(_)))
        .collect();
    assert_eq!(releases, [&Step::Release(Hold::Unit { shard: 0 })]);
    assert_eq!((shards[0].remaining, shards[1].remaining), (1, 1));
    assert_eq!(held(&shards, "c.m.1"), 0);
    // A second release of the same claim id gives nothing more back.
    shards[0].release("c.m.1");
    assert_eq!(shards[0].remaining, 1);
}

#[test]
fn a_retry_of_the_same_claim_id_never_takes_a_second_unit() {
    // The take is carried out but its answer lost; the release does not reach the shard.
    let mut shards = vec![Shard::with(1), Shard::with(5)];
    shards[0].link = Link::LosesAnswers;
    let (mut saga, step) = ClaimSaga::<&str>::start(vec![0, 1], &[]);
    assert_eq!(step, Step::Take { shard: 0 });
    let reply = shards[0].take("c.m.1");
    shards[0].link = Link::Down;
    assert_eq!(saga.next(reply), Step::Release(Hold::Unit { shard: 0 }));
    let reply = shards[0].release("c.m.1");
    assert_eq!(saga.next(reply), Step::Finish(Outcome::Unavailable));
    assert_eq!(saga.unreleased(), [Hold::Unit { shard: 0 }]);
    assert_eq!(held(&shards, "c.m.1"), 1);
    // The retry, once the link is back: the shard answers for the unit it holds, even sold
    // out, and nothing is taken elsewhere.
    shards[0].link = Link::Up;
    let retry = run(&mut shards, "c.m.1", &[], Ok(()));
    assert_eq!(retry.outcome, Outcome::Issued);
    assert_eq!(held(&shards, "c.m.1"), 1);
    assert_eq!((shards[0].remaining, shards[1].remaining), (0, 5));
    // And a repeated Taken after the unit is held is not a second take.
    let (mut saga, _) = ClaimSaga::<&str>::start(vec![0, 1], &[]);
    assert_eq!(saga.next(Reply::Taken), Step::Issue);
    let after = saga.next(Reply::Taken);
    assert!(!matches!(after, Step::Take { .. }), "{after:?}");
}

#[test]
fn a_closed_campaign_is_refused_by_the_first_shard_asked() {
    let mut shards = vec![Shard::with(3), Shard::with(3)];
    for shard in &mut shards {
        shard.closed = Some(StockRefusal::CampaignPaused);
    }
    let ran = run(&mut shards, "c.m.1", &[], Ok(()));
    assert_eq!(ran.outcome, Outcome::Closed(StockRefusal::CampaignPaused));
    assert_eq!(ran.steps.len(), 2, "{:?}", ran.steps);
}

#[test]
fn a_finished_saga_stays_finished() {
    let (mut saga, step) = ClaimSaga::<&str>::start(vec![], &[]);
    assert_eq!(step, Step::Finish(Outcome::SoldOut));
    assert_eq!(saga.next(Reply::Taken), Step::Finish(Outcome::SoldOut));
}

#[test]
fn seeded_worlds_never_hold_two_units_for_one_claim() {
    for seed in 0..500 {
        let mut random = Lcg::new(seed);
        let count = 1 + random.below(5) as usize;
        let mut shards: Vec<Shard> = (0..count)
            .map(|_| {
                let mut shard = Shard::with(random.below(3) as i64);
                shard.link = match random.below(6) {
                    0 => Link::Down,
                    1 => Link::LosesAnswers,
                    _ => Link::Up,
                };
                if random.below(10) == 0 {
                    shard.closed = Some(StockRefusal::CampaignEnded);
                }
                shard
            })
            .collect();
        let units_before: i64 = shards.iter().map(|s| s.remaining).sum();
        let known_dry: Vec<u32> = (0..count as u32).filter(|_| random.below(4) == 0).collect();
        let member = if random.below(4) == 0 {
            Err("refused")
        } else {
            Ok(())
        };
        // Up to three attempts of the same claim id, links healing in between.
        for attempt in 0..3 {
            let ran = run(&mut shards, "c.m.1", &known_dry, member);
            let context = format!("seed {seed} attempt {attempt}: {ran:?}");
            let holding = held(&shards, "c.m.1");
            assert!(holding <= 1, "{context}");
            let units_after: i64 = shards.iter().map(|s| s.remaining).sum();
            assert_eq!(units_before - units_after, holding as i64, "{context}");
            match &ran.outcome {
                Outcome::Issued => assert_eq!(holding, 1, "{context}"),
                // A release without an answer may still have been carried out.
                _ => assert!(holding <= ran.unreleased.len(), "{context}"),
            }
            let mut asked = BTreeSet::new();
            for step in &ran.steps {
                if let Step::Take { shard } = step {
                    assert!(asked.insert(*shard), "a shard asked twice: {context}");
                    assert!(!known_dry.contains(shard), "{context}");
                }
            }
            let releases = ran
                .steps
                .iter()
                .filter(|s| matches!(s, Step::Release(_)))
                .count();
            assert!(releases <= 1, "{context}");
            if ran.outcome == Outcome::Issued {
                break;
            }
            for shard in &mut shards {
                if random.below(2) == 0 {
                    shard.link = Link::Up;
                }
            }
        }
    }
}
