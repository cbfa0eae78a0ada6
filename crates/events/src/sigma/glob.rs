//! Sigma wildcard values (`*` any text, `?` one character) matched without a regex engine.
//!
//! A value such as `*\rundll32.exe* *,#*` is a few literal segments between stars. On an ASCII
//! value (nearly every event field) it is matched by finding each segment in turn, leftmost
//! first — which is exact for segments of fixed length — with `memmem`; no automaton is built.
//! Compiling a regex for each of the thousands of wildcard values of a large rule set cost more
//! than the hunt itself. A value or pattern that is not all ASCII goes to the regex the pattern
//! also compiles to (on first use), so that Unicode case folding is exactly the regex's.

use memchr::memmem;

use super::expr::SigmaRegex;

/// One `?`-free run of literal text, or the `?` that stands for one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// Literal text (lower-cased unless the glob is cased).
    Lit(String),
    /// `?`: exactly one character.
    One,
}

/// The part of a pattern between two stars, prepared for search.
#[derive(Debug, Clone)]
struct Segment {
    atoms: Vec<Atom>,
    /// Length in bytes on ASCII text.
    len: usize,
    /// Its longest literal's offset in the segment and searcher (none: only `?`s).
    key: Option<(usize, memmem::Finder<'static>)>,
}

impl Segment {
    fn new(atoms: Vec<Atom>) -> Segment {
        let mut off = 0;
        let mut best: Option<(usize, &str)> = None;
        for a in &atoms {
            match a {
                Atom::Lit(t) => {
                    if best.is_none_or(|(_, b)| t.len() > b.len()) {
                        best = Some((off, t));
                    }
                    off += t.len();
                }
                Atom::One => off += 1,
            }
        }
        let key = best.map(|(o, t)| (o, memmem::Finder::new(t.as_bytes()).into_owned()));
        Segment {
            len: off,
            key,
            atoms,
        }
    }
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    /// The parts between stars, in order; each is matched at one position.
    segments: Vec<Segment>,
    /// The pattern does not begin with `*`: the first segment is at the start.
    anchored_start: bool,
    /// The pattern does not end with `*`: the last segment is at the end.
    anchored_end: bool,
    /// Compare case-sensitively (`|cased`).
    cased: bool,
    /// The same pattern as a regex, for values or patterns that are not all ASCII.
    regex: SigmaRegex,
    /// Every literal is ASCII.
    ascii: bool,
}

impl Glob {
    /// A glob from its segments (each a list of atoms; literal text as given) and anchors.
    /// `regex` must match exactly what the glob matches; literal text of a case-insensitive
    /// glob is lower-cased here.
    pub fn new(
        segments: Vec<Vec<Atom>>,
        anchored_start: bool,
        anchored_end: bool,
        cased: bool,
        regex: SigmaRegex,
    ) -> Glob {
        let segments = segments
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.into_iter()
                    .map(|a| match a {
                        Atom::Lit(t) if !cased => Atom::Lit(t.to_lowercase()),
                        a => a,
                    })
                    .collect()
            })
            .map(Segment::new)
            .collect();
        let mut glob = Glob {
            segments,
            anchored_start,
            anchored_end,
            cased,
            regex,
            ascii: false,
        };
        let ascii = glob.literals().all(str::is_ascii);
        glob.ascii = ascii;
        glob
    }

    /// The equivalent regex (flags included), as written for the log hunter and for display.
    pub fn regex(&self) -> &SigmaRegex {
        &self.regex
    }

    /// Whether matching is case-sensitive.
    pub fn cased(&self) -> bool {
        self.cased
    }

    /// Whether every literal of the pattern is ASCII (then ASCII values are matched here).
    pub fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// The literal runs of the pattern (lower-cased unless cased), in order.
    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .flat_map(|s| &s.atoms)
            .filter_map(|a| match a {
                Atom::Lit(t) => Some(t.as_str()),
                Atom::One => None,
            })
    }

    /// Whether `value` matches; `lowered` is the value lower-cased (computed once per field
    /// test and shared by its matchers).
    pub fn is_match<'a>(&self, value: &'a str, lowered: impl FnOnce() -> &'a str) -> bool {
        if !self.ascii || !value.is_ascii() {
            return self.regex.is_match(value);
        }
        if self.cased || !value.bytes().any(|b| b.is_ascii_uppercase()) {
            self.match_ascii(value.as_bytes())
        } else {
            self.match_ascii(lowered().as_bytes())
        }
    }

    /// Leftmost placement of each segment after the previous one (exact for fixed-length
    /// segments); the anchors pin the first and last.
    fn match_ascii(&self, hay: &[u8]) -> bool {
        let n = self.segments.len();
        if n == 0 {
            // Only stars (or nothing): `*` matches anything, `` only the empty value.
            return !(self.anchored_start && self.anchored_end) || hay.is_empty();
        }
        let mut pos = 0;
        for (i, seg) in self.segments.iter().enumerate() {
            let len = seg.len;
            let (first, last) = (i == 0, i + 1 == n);
            if last && self.anchored_end {
                if hay.len() < pos + len {
                    return false;
                }
                let at = hay.len() - len;
                if first && self.anchored_start && at != 0 {
                    return false;
                }
                return matches_at(&seg.atoms, hay, at);
            }
            if first && self.anchored_start {
                if hay.len() < len || !matches_at(&seg.atoms, hay, 0) {
                    return false;
                }
                pos = len;
                continue;
            }
            match find(seg, hay, pos) {
                Some(at) => pos = at + len,
                None => return false,
            }
        }
        true
    }
}

/// Whether the segment matches `hay` at `at` (the caller checked the length).
fn matches_at(seg: &[Atom], hay: &[u8], mut at: usize) -> bool {
    for a in seg {
        match a {
            Atom::Lit(t) => {
                if hay.get(at..at + t.len()) != Some(t.as_bytes()) {
                    return false;
                }
                at += t.len();
            }
            Atom::One => {
                if at >= hay.len() {
                    return false;
                }
                at += 1;
            }
        }
    }
    true
}

/// Leftmost position at or after `from` where the segment matches: its longest literal is
/// searched for, then the whole segment checked around it.
fn find(seg: &Segment, hay: &[u8], from: usize) -> Option<usize> {
    let Some((offset, finder)) = &seg.key else {
        // Only `?`s: any position with enough characters left.
        return (from + seg.len <= hay.len()).then_some(from);
    };
    let mut search_from = from + offset;
    while search_from <= hay.len() {
        let hit = search_from + finder.find(&hay[search_from..])?;
        let start = hit - offset;
        if start + seg.len <= hay.len() && matches_at(&seg.atoms, hay, start) {
            return Some(start);
        }
        search_from = hit + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(segments: Vec<Vec<Atom>>, start: bool, end: bool) -> Glob {
        Glob::new(
            segments,
            start,
            end,
            false,
            SigmaRegex::from_wildcards("(?is)^$".into()),
        )
    }

    fn lit(s: &str) -> Atom {
        Atom::Lit(s.into())
    }

    #[test]
    fn segments_are_placed_in_order_and_anchored() {
        // `*\rundll32.exe* *,#*`
        let g = glob(
            vec![vec![lit(r"\rundll32.exe")], vec![lit(" ")], vec![lit(",#")]],
            false,
            false,
        );
        let m = |v: &str| {
            let low = v.to_lowercase();
            g.is_match(v, || low.as_str())
        };
        assert!(m(r"C:\Windows\System32\RUNDLL32.EXE x.dll,#1"));
        assert!(!m(r"C:\Windows\System32\rundll32.exe x.dll,1"));
        // The order matters: ",#" before the space does not count.
        assert!(!m(r",# C:\rundll32.exe"));

        // `a?c*d` anchored at the start only.
        let g = glob(
            vec![vec![lit("a"), Atom::One, lit("c")], vec![lit("d")]],
            true,
            false,
        );
        let m = |v: &str| {
            let low = v.to_lowercase();
            g.is_match(v, || low.as_str())
        };
        assert!(m("abcxxd"));
        assert!(m("aXcd"));
        assert!(!m("xabcd"));
        assert!(!m("acd"));

        // `a*b` anchored both ends: `b` must end the value, after the `a`.
        let g = glob(vec![vec![lit("a")], vec![lit("b")]], true, true);
        let m = |v: &str| {
            let low = v.to_lowercase();
            g.is_match(v, || low.as_str())
        };
        assert!(m("ab"));
        assert!(m("a-b"));
        assert!(!m("a-bc"));
        assert!(!m("b"));
        // `x?y` whole value.
        let g = glob(vec![vec![lit("x"), Atom::One, lit("y")]], true, true);
        assert!(g.is_match("x1y", || "x1y"));
        assert!(!g.is_match("x12y", || "x12y"));
        // `*??*`: at least two characters.
        let g = glob(vec![vec![Atom::One, Atom::One]], false, false);
        assert!(g.is_match("ab", || "ab"));
        assert!(!g.is_match("a", || "a"));
    }

    #[test]
    fn a_segment_is_retried_past_a_partial_match() {
        // `*ab?d*`: the first "ab" is followed by "x" then the end, the second one matches.
        let g = glob(vec![vec![lit("ab"), Atom::One, lit("d")]], false, false);
        assert!(g.is_match("abxab-d", || "abxab-d"));
        assert!(!g.is_match("abxabd", || "abxabd"));
    }
}
