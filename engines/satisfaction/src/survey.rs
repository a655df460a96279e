//! Survey answers: the three survey types, their scales, and answers that
//! can only be built with a score inside their type's scale.

use serde::{Deserialize, Serialize};

/// The kind of a survey question, each with its own integer scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyType {
    /// Net Promoter Score: "how likely are you to recommend us", 0..=10.
    Nps,
    /// Customer satisfaction, 1..=5.
    Csat,
    /// Customer effort score, 1..=7.
    Ces,
}

impl SurveyType {
    /// The lowest score of the scale.
    pub const fn min(self) -> u8 {
        match self {
            Self::Nps => 0,
            Self::Csat | Self::Ces => 1,
        }
    }

    /// The highest score of the scale.
    pub const fn max(self) -> u8 {
        match self {
            Self::Nps => 10,
            Self::Csat => 5,
            Self::Ces => 7,
        }
    }

    /// The name used on the wire (`nps`, `csat`, `ces`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nps => "nps",
            Self::Csat => "csat",
            Self::Ces => "ces",
        }
    }

    /// Checks that `score` is on this type's scale; the error is a message
    /// fit for a 422 (`nps score must be an integer from 0 to 10, got 11`).
    pub fn validate(self, score: i64) -> Result<(), String> {
        if (i64::from(self.min())..=i64::from(self.max())).contains(&score) {
            Ok(())
        } else {
            Err(format!(
                "{} score must be an integer from {} to {}, got {score}",
                self.as_str(),
                self.min(),
                self.max()
            ))
        }
    }
}

/// One survey answer. Its score is always on its type's scale: the only ways
/// to build one ([`Answer::new`], deserialising, [`rating_as_csat`]) check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawAnswer")]
pub struct Answer {
    #[serde(rename = "type")]
    kind: SurveyType,
    score: u8,
}

impl Answer {
    /// An answer of `kind`, or the range message when `score` is off its scale.
    pub fn new(kind: SurveyType, score: i64) -> Result<Self, String> {
        kind.validate(score)?;
        let score = u8::try_from(score).map_err(|e| e.to_string())?;
        Ok(Self { kind, score })
    }

    /// The survey type.
    pub fn kind(self) -> SurveyType {
        self.kind
    }

    /// The score, within `kind().min()..=kind().max()`.
    pub fn score(self) -> u8 {
        self.score
    }
}

/// An answer as it arrives (`{"type": "nps", "score": 9}`), before its score
/// is checked.
#[derive(Deserialize)]
struct RawAnswer {
    #[serde(rename = "type")]
    kind: SurveyType,
    score: i64,
}

impl TryFrom<RawAnswer> for Answer {
    type Error = String;

    fn try_from(raw: RawAnswer) -> Result<Self, String> {
        Self::new(raw.kind, raw.score)
    }
}

/// Whether an answer should trigger the unhappy-customer automation: an NPS
/// detractor (0..=6) or a CSAT of 1 or 2. CES answers never do: effort is
/// reported as a mean and its direction depends on how the question is worded.
pub fn detractor(answer: Answer) -> bool {
    match answer.kind {
        SurveyType::Nps => answer.score <= 6,
        SurveyType::Csat => answer.score <= 2,
        SurveyType::Ces => false,
    }
}

/// A 1..=5 rating (as on `rating` interactions) read as a CSAT answer with the
/// same score.
pub fn rating_as_csat(rating: i64) -> Result<Answer, String> {
    Answer::new(SurveyType::Csat, rating)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(kind: SurveyType, score: i64) -> Answer {
        Answer::new(kind, score).unwrap()
    }

    #[test]
    fn scales_accept_their_bounds_and_refuse_beyond() {
        for kind in [SurveyType::Nps, SurveyType::Csat, SurveyType::Ces] {
            let (min, max) = (i64::from(kind.min()), i64::from(kind.max()));
            assert!(kind.validate(min).is_ok());
            assert!(kind.validate(max).is_ok());
            assert!(kind.validate(min - 1).is_err());
            assert!(kind.validate(max + 1).is_err());
            assert!(Answer::new(kind, max + 1).is_err());
        }
        assert!(Answer::new(SurveyType::Nps, i64::MAX).is_err());
        assert!(Answer::new(SurveyType::Nps, -1).is_err());
    }

    #[test]
    fn out_of_range_message_names_type_and_scale() {
        assert_eq!(
            SurveyType::Nps.validate(11).unwrap_err(),
            "nps score must be an integer from 0 to 10, got 11"
        );
        assert_eq!(
            SurveyType::Csat.validate(0).unwrap_err(),
            "csat score must be an integer from 1 to 5, got 0"
        );
        assert_eq!(
            SurveyType::Ces.validate(8).unwrap_err(),
            "ces score must be an integer from 1 to 7, got 8"
        );
    }

    #[test]
    fn answers_deserialise_only_on_scale() {
        let ok: Answer = serde_json::from_str(r#"{"type":"ces","score":7}"#).unwrap();
        assert_eq!((ok.kind(), ok.score()), (SurveyType::Ces, 7));
        let err = serde_json::from_str::<Answer>(r#"{"type":"csat","score":6}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("csat score must be an integer from 1 to 5, got 6")
        );
        assert!(serde_json::from_str::<Answer>(r#"{"type":"stars","score":3}"#).is_err());
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"type":"ces","score":7}"#
        );
    }

    #[test]
    fn detractor_rule_is_nps_up_to_6_or_csat_up_to_2() {
        assert!(detractor(answer(SurveyType::Nps, 0)));
        assert!(detractor(answer(SurveyType::Nps, 6)));
        assert!(!detractor(answer(SurveyType::Nps, 7)));
        assert!(detractor(answer(SurveyType::Csat, 1)));
        assert!(detractor(answer(SurveyType::Csat, 2)));
        assert!(!detractor(answer(SurveyType::Csat, 3)));
        assert!(!detractor(answer(SurveyType::Ces, 1)));
        assert!(!detractor(answer(SurveyType::Ces, 7)));
    }

    #[test]
    fn ratings_map_to_csat_answers() {
        assert_eq!(rating_as_csat(4).unwrap(), answer(SurveyType::Csat, 4));
        assert!(detractor(rating_as_csat(2).unwrap()));
        assert!(rating_as_csat(0).is_err());
        assert!(rating_as_csat(6).is_err());
    }
}
