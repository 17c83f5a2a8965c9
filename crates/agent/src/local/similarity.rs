//! Text similarity, the third evidence source: TF-IDF cosine between the
//! customer's text and each SOP example (title, variants, exact phrases),
//! over stemmed words without stopwords; an SOP scores its best example.

use super::hash::FastMap;
use super::lexicon::is_stopword;
use super::text::stem;

/// Query-norm weight of a word no SOP example contains.
const OOV_IDF: f32 = 1.5;

/// Inverted index of SOP examples.
#[derive(Debug, Default)]
pub struct SimIndex {
    terms: FastMap<String, u32>,
    idf: Vec<f32>,
    /// Per term: (example, weight of the term in the unit-length example).
    postings: Vec<Vec<(u32, f32)>>,
    example_sop: Vec<u16>,
}

/// The terms of a canonical text: stemmed, stopwords and 1-letter words out.
pub fn terms(canonical: &str) -> impl Iterator<Item = &str> {
    canonical.split(' ').filter(|w| w.len() > 1 && !is_stopword(w)).map(stem)
}

impl SimIndex {
    /// `examples`: (SOP index, canonical example text).
    pub fn new(n_sops: usize, examples: &[(usize, String)]) -> Self {
        let mut terms: FastMap<String, u32> = FastMap::default();
        let mut sop_df: Vec<Vec<bool>> = Vec::new();
        let mut ex_terms: Vec<Vec<u32>> = Vec::with_capacity(examples.len());
        for (sop, text) in examples {
            let mut ids: Vec<u32> = Vec::new();
            for t in self::terms(text) {
                let next = u32::try_from(terms.len()).unwrap_or(u32::MAX);
                let id = *terms.entry(t.to_owned()).or_insert(next);
                if id as usize == sop_df.len() {
                    sop_df.push(vec![false; n_sops]);
                }
                sop_df[id as usize][*sop] = true;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ex_terms.push(ids);
        }
        let n = n_sops as f32;
        let idf: Vec<f32> = sop_df
            .iter()
            .map(|d| {
                let df = d.iter().filter(|x| **x).count() as f32;
                ((n + 1.0) / (df + 0.5)).ln()
            })
            .collect();
        let mut postings = vec![Vec::new(); idf.len()];
        let mut example_sop = Vec::with_capacity(examples.len());
        for (e, ((sop, _), ids)) in examples.iter().zip(&ex_terms).enumerate() {
            example_sop.push(u16::try_from(*sop).unwrap_or(u16::MAX));
            let norm = ids.iter().map(|&t| idf[t as usize].powi(2)).sum::<f32>().sqrt();
            if norm == 0.0 {
                continue;
            }
            for &t in ids {
                postings[t as usize].push((e as u32, idf[t as usize] / norm));
            }
        }
        Self { terms, idf, postings, example_sop }
    }

    /// Best cosine per SOP that shares a term with the text, with the
    /// number of query terms that example shares, into `out` (sorted by
    /// SOP). `scratch` holds per-example sums between calls: all zero
    /// before and after (only the touched entries are reset). Words the
    /// index has never seen count in the query norm with a modest weight
    /// (`OOV_IDF`): noise, not evidence.
    pub fn score(&self, canonical: &str, scratch: &mut Vec<(f32, u8)>, out: &mut Vec<(u16, f32, u8)>) {
        out.clear();
        let mut q: Vec<u32> = Vec::with_capacity(16);
        let mut oov: Vec<&str> = Vec::new();
        for t in terms(canonical) {
            match self.terms.get(t) {
                Some(&id) if !q.contains(&id) => q.push(id),
                Some(_) => {}
                None if !oov.contains(&t) => oov.push(t),
                None => {}
            }
        }
        if q.is_empty() {
            return;
        }
        let qnorm = (q.iter().map(|&t| self.idf[t as usize].powi(2)).sum::<f32>()
            + oov.len() as f32 * OOV_IDF * OOV_IDF)
            .sqrt();
        if scratch.len() != self.example_sop.len() {
            scratch.clear();
            scratch.resize(self.example_sop.len(), (0.0, 0));
        }
        let mut touched: Vec<u32> = Vec::with_capacity(64);
        for &t in &q {
            let w = self.idf[t as usize] / qnorm;
            for &(e, ew) in &self.postings[t as usize] {
                let x = &mut scratch[e as usize];
                if x.1 == 0 {
                    touched.push(e);
                }
                x.0 += w * ew;
                x.1 = x.1.saturating_add(1);
            }
        }
        // Grouped by SOP, in the order the examples were touched: the best
        // example per SOP (ties: the first touched).
        let mut keys: Vec<u64> = touched
            .iter()
            .enumerate()
            .map(|(pos, &e)| (u64::from(self.example_sop[e as usize]) << 32) | pos as u64)
            .collect();
        keys.sort_unstable();
        for key in keys {
            let (sop, e) = ((key >> 32) as u16, touched[(key & 0xffff_ffff) as usize]);
            let (s, n) = std::mem::take(&mut scratch[e as usize]);
            match out.last_mut() {
                Some(last) if last.0 == sop => {
                    if s > last.1 {
                        *last = (sop, s, n);
                    }
                }
                _ => out.push((sop, s, n)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_example_wins() {
        let idx = SimIndex::new(
            2,
            &[(0, "simulator is stuck".into()), (0, "trackman frozen".into()), (1, "where do we park".into())],
        );
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        idx.score("the simulator is stuck", &mut scratch, &mut out);
        assert!(out.len() == 1 && out[0].0 == 0 && out[0].1 > 0.99 && out[0].2 == 2, "{out:?}");
        idx.score("where can we park the car", &mut scratch, &mut out);
        assert!(out.len() == 1 && out[0].0 == 1 && out[0].1 > 0.5 && out[0].1 < 0.99, "{out:?}");
        idx.score("nothing in common", &mut scratch, &mut out);
        assert_eq!(out, vec![]);
        assert!(scratch.iter().all(|x| *x == (0.0, 0)), "scratch is left zeroed");
    }
}
