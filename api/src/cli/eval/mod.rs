//! `rapport eval ENGINE ...`: the offline protocol of DESIGN.md §5 straight
//! on CSV files, no database. Every registered engine is a subcommand, with
//! the options of its kind: a recommender reads an interactions file
//! (`--interactions FILE --map ...`), a scorer a customers file
//! (`--customers FILE --label COL[=POSITIVE]`). `baskets` also prints the
//! rules it mines, and `segments` reads either file.

mod baskets;
mod load;
mod recommender;
mod report;
mod rfm;
mod scorer;
mod segmenter;
mod tune;

use clap::error::ErrorKind;
use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};
use rapport_core::table::{RowError, TableError};
use rapport_core::{
    DynRecommender, DynScorer, EngineError, ParamSpec, Params, Recommender, ScoreError,
};
use rapport_engines::{Engine, Kind, registry};
use thiserror::Error;

use super::files::MappingError;
pub use baskets::BasketsEvalArgs;
pub use recommender::RecommenderEvalArgs;
pub use scorer::ScorerEvalArgs;
pub use segmenter::SegmenterEvalArgs;
pub use tune::TuneArgs;

/// The engine to evaluate, with the options of its kind.
pub enum EvalTarget {
    /// A recommender on an interactions file.
    Recommender(&'static dyn DynRecommender, RecommenderEvalArgs),
    /// A search of one recommender's parameters (`ENGINE --tune`), or of
    /// every recommender the data can feed (`auto --tune`, `None`).
    Tune(Option<&'static dyn DynRecommender>, RecommenderEvalArgs),
    /// A scorer on a customers file.
    Scorer(&'static dyn DynScorer, ScorerEvalArgs),
    /// The association rules of `baskets` on an interactions file.
    Baskets(BasketsEvalArgs),
    /// The segmentation on a customers or interactions file.
    Segmenter(SegmenterEvalArgs),
}

/// Whether `name` is the rule miner, evaluated with [`BasketsEvalArgs`].
fn mines_rules(name: &str) -> bool {
    name == Recommender::name(&rapport_baskets::Baskets)
}

impl std::fmt::Debug for EvalTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Recommender(engine, args) => f
                .debug_tuple("Recommender")
                .field(&engine.name())
                .field(args)
                .finish(),
            Self::Tune(engine, args) => f
                .debug_tuple("Tune")
                .field(&engine.map_or(tune::AUTO, |e| e.name()))
                .field(args)
                .finish(),
            Self::Scorer(engine, args) => f
                .debug_tuple("Scorer")
                .field(&engine.name())
                .field(args)
                .finish(),
            Self::Baskets(args) => f.debug_tuple("Baskets").field(args).finish(),
            Self::Segmenter(args) => f.debug_tuple("Segmenter").field(args).finish(),
        }
    }
}

impl FromArgMatches for EvalTarget {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub)) = matches.subcommand() else {
            return Err(clap::Error::raw(
                ErrorKind::MissingSubcommand,
                "name the engine to evaluate\n",
            ));
        };
        if name == tune::AUTO {
            let args = RecommenderEvalArgs::from_arg_matches(sub)?;
            if !args.tune.tune {
                return Err(clap::Error::raw(
                    ErrorKind::MissingRequiredArgument,
                    "`auto` is only valid with --tune\n",
                ));
            }
            return Ok(Self::Tune(None, args));
        }
        match registry().engine(name) {
            Some(Engine::Recommender(_)) if mines_rules(name) => {
                Ok(Self::Baskets(BasketsEvalArgs::from_arg_matches(sub)?))
            }
            Some(Engine::Recommender(engine)) => {
                let args = RecommenderEvalArgs::from_arg_matches(sub)?;
                Ok(if args.tune.tune {
                    Self::Tune(Some(engine), args)
                } else {
                    Self::Recommender(engine, args)
                })
            }
            Some(Engine::Scorer(engine)) => {
                Ok(Self::Scorer(engine, ScorerEvalArgs::from_arg_matches(sub)?))
            }
            Some(Engine::Segmenter(_)) => {
                Ok(Self::Segmenter(SegmenterEvalArgs::from_arg_matches(sub)?))
            }
            None => Err(clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("no engine named `{name}`\n"),
            )),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// One subcommand per registered engine, named and described by the
/// registry, taking the arguments of the engine's kind.
impl Subcommand for EvalTarget {
    fn augment_subcommands(cmd: Command) -> Command {
        registry()
            .engines()
            .fold(cmd, |cmd, engine| {
                let sub = Command::new(engine.name());
                let sub = match engine.kind() {
                    Kind::Recommender if mines_rules(engine.name()) => {
                        BasketsEvalArgs::augment_args(sub)
                    }
                    Kind::Recommender => RecommenderEvalArgs::augment_args(sub),
                    Kind::Scorer => ScorerEvalArgs::augment_args(sub),
                    Kind::Segmenter => SegmenterEvalArgs::augment_args(sub),
                };
                // After the arguments, whose doc comment would otherwise describe it.
                cmd.subcommand(sub.about(engine.describe().summary))
            })
            .subcommand(
                RecommenderEvalArgs::augment_args(Command::new(tune::AUTO)).about(
                    "With --tune: search every recommender the data can feed, \
                     the winner scored on test",
                ),
            )
            .subcommand_required(true)
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        name == tune::AUTO || registry().engine(name).is_some()
    }
}

/// Why an evaluation could not run.
#[derive(Debug, Error)]
pub enum EvalError {
    /// A bad `--map` or `--map-items`.
    #[error("bad mapping: {0}")]
    Map(#[from] MappingError),
    /// A file could not be read, or named an unknown column.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A row that could not be mapped, in strict mode.
    #[error("malformed row at {0}")]
    Row(RowError),
    /// No usable interaction.
    #[error("no usable interaction in {0}")]
    NoData(String),
    /// A recommender refused the data or parameters, or a parameter is bad.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A scorer refused the data.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The segmentation refused the data or parameters.
    #[error("{0}")]
    Segments(String),
    /// A scorer refused a row of the file.
    #[error("line {line}: {source}")]
    AtLine {
        /// 1-based line number in the file.
        line: u64,
        /// What is wrong with the row.
        source: ScoreError,
    },
    /// Writing output failed.
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl EvalError {
    /// Writing the report failed.
    fn report(source: std::io::Error) -> Self {
        Self::Write {
            what: "the report".into(),
            source,
        }
    }
}

/// `--param` overrides, checked against the engine's parameters (so that a
/// mistake is reported before any file is read).
fn params(pairs: &[(String, String)], specs: &[ParamSpec]) -> Result<Params, EngineError> {
    let params = pairs.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
    params.resolve(specs)?;
    Ok(params)
}

/// Runs the evaluation and prints its report on standard output.
pub fn run(target: EvalTarget) -> Result<(), anyhow::Error> {
    let out = &mut std::io::stdout().lock();
    match target {
        EvalTarget::Recommender(engine, args) => recommender::run(engine, &args, out)?,
        EvalTarget::Tune(engine, args) => tune::run(engine, &args, out)?,
        EvalTarget::Scorer(engine, args) => {
            scorer::run(engine, &args, out)?;
        }
        EvalTarget::Baskets(args) => baskets::run(&args, out)?,
        EvalTarget::Segmenter(args) => {
            segmenter::run(&args, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    #[command(name = "eval")]
    struct Cli {
        #[command(subcommand)]
        target: EvalTarget,
    }

    #[test]
    fn every_engine_is_a_subcommand_of_its_kind() {
        let parsed = Cli::try_parse_from(["eval", "item_item", "--interactions", "log.csv"]);
        assert!(matches!(
            parsed.unwrap().target,
            EvalTarget::Recommender(engine, _) if engine.name() == "item_item"
        ));
        let parsed = Cli::try_parse_from([
            "eval",
            "logistic",
            "--customers",
            "c.csv",
            "--label",
            "churn",
        ]);
        assert!(matches!(
            parsed.unwrap().target,
            EvalTarget::Scorer(engine, _) if engine.name() == "logistic"
        ));
        // A scorer takes no interactions file, a recommender no label.
        assert!(Cli::try_parse_from(["eval", "logistic", "--interactions", "log.csv"]).is_err());
        assert!(Cli::try_parse_from(["eval", "ease", "--customers", "c.csv"]).is_err());
        let err = Cli::try_parse_from(["eval", "nope"]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand);
        let err = Cli::try_parse_from([
            "eval",
            "popularity",
            "--interactions",
            "f",
            "--separator",
            "x",
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("is not one of"), "{err}");
    }

    #[test]
    fn help_lists_every_registered_engine_with_its_summary() {
        let err = Cli::try_parse_from(["eval", "--help"]).err().unwrap();
        let help = err.to_string();
        for (_, description) in registry().descriptions() {
            assert!(help.contains(&description.name), "{help}");
            let start: String = description.summary.chars().take(20).collect();
            assert!(help.contains(&start), "{help}");
        }
    }
}
