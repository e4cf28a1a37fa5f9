//! Reasoning openers: the built-in lists, and the matcher that decides whether a skeleton is
//! made of openers only.
//!
//! # Matching
//!
//! Openers are compiled, on their skeletons without spaces, into a trie. A skeleton is scanned
//! once, left to right, by a set of trie positions (a Thompson-style simulation of the
//! automaton "one or more openers"): separators inside and between openers are skipped, so
//! `Let's solve`, `lets solve` and `L E T S S O L V E` are one opener. An opener written in a
//! spaced script (Latin, Cyrillic, …) must end at a separator or at an unspaced-script
//! character, so `Answers` and `nowhere` (`now` + `here`) are not openers. `{n}` in an opener
//! stands for a number of at most [`MAX_DIGITS`] digits (`Step 12`).
//!
//! Cost: the simulation is cached as a DFA built lazily during the scan (see [`scan`]), so
//! each symbol costs one lookup among the current state's known transitions, plus, the first
//! time a transition is taken, one trie step (a binary search among a node's children) per
//! live position. Live positions are deduplicated by (node, digit state, boundary flag), and
//! each sits at a trie depth no greater than the longest opener, so their number is bounded by
//! a constant (in practice a handful). The scan stops at the first symbol no position can take.
//! Time is linear in the skeleton's length; memory is bounded by the cache's size.

use std::collections::HashMap;

use crate::normalize::{is_unspaced, skeleton};

/// The longest digit run `{n}` stands for.
pub(crate) const MAX_DIGITS: u8 = 4;

/// Stands for `{n}` inside a compiled opener (a private-use character no skeleton contains).
const DIGITS: char = '\u{E000}';

/// How strongly a word marks an empty response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// A filler (`Okay`, `So`, `Well`, `Bien`, `Итак`): alone it is an answer ("Okay."), with
    /// another filler or an opener it is not.
    Weak = 1,
    /// An opener (`Solution`, `Let's think step by step`, `答案`): alone it is no content.
    Strong = 2,
}

/// One language's openers and fillers.
pub(crate) struct Language {
    /// ISO 639-1 code.
    pub code: &'static str,
    /// Openers: no content on their own.
    pub strong: &'static [&'static str],
    /// Fillers: no content only next to another filler or an opener.
    pub weak: &'static [&'static str],
}

/// The built-in openers, by language.
#[rustfmt::skip]
pub(crate) const LANGUAGES: &[Language] = &[
    Language {
        code: "en",
        strong: &[
            "Thought process", "Thought", "Thoughts", "Thinking", "Thinking process", "Reasoning",
            "Reasoning process", "Chain of thought", "Scratchpad", "Let's think",
            "Let's think step by step", "Let's think about this step by step",
            "Let us think step by step", "Think step by step", "Let's think about this",
            "Let's solve this problem step by step", "Let's solve this step by step",
            "Let's solve this", "Let's solve this problem", "Let's solve it step by step",
            "Let me solve this step by step", "Let me solve this", "Let me solve this problem",
            "I'll solve this step by step", "Let's work through this",
            "Let's work through this step by step", "Let's work this out", "Let's break this down",
            "Let's break it down", "Let's break this down step by step", "Let me think",
            "Let me think about this", "Let me think step by step", "Let me work through this",
            "Let's figure this out", "Let's tackle this problem", "Let's analyze the problem",
            "Let's start", "Let's begin", "Let's see", "Let me see", "Step by step",
            "Step-by-step solution", "Step {n}", "Step one", "Step two", "Step three", "First step",
            "Let's get started", "Let's dive in", "Here you go", "Here it is", "Here goes", "Solution", "Final solution", "Full solution",
            "Detailed solution", "Answer", "Final answer", "The answer", "The answer is",
            "The final answer is", "My answer", "My answer is", "My final answer is",
            "The correct answer is", "The correct answer", "Correct answer",
            "The correct option is", "Answer choice", "Response", "Explanation", "Analysis",
            "Reflection", "Summary", "Conclusion", "Result", "Output", "Proof", "Hint", "Question",
            "Problem", "Problem statement", "Assistant", "Here is the solution",
            "Here's the solution", "Here is my answer", "Here's my answer", "Here is the answer",
            "Here's the answer", "Here's how to solve it", "Here's how to solve this problem",
            "To solve this problem", "To solve this", "To find the answer", "We need to find",
            "We need to solve", "We are asked to find", "I need to find", "Hm", "Hmm", "Hmmm",
            "Hmmmm", "Um", "Umm", "Uh", "Uhh", "Erm",
        ],
        weak: &[
            "Okay", "OK", "Alright", "All right", "Sure", "Well", "So", "First", "Firstly",
            "First of all", "To begin", "Then", "Next", "Therefore", "Thus", "Hence", "Great",
            "Good question", "Certainly", "Of course", "Fine", "I think", "I believe", "Given",
            "We have", "Note that", "Recall that", "Let's", "Let us", "Let me", "Here is",
            "Here's", "Oh", "Wait", "Actually",
        ],
    },
    Language {
        code: "zh",
        strong: &[
            "解", "答", "解答", "答案", "答案是", "最终答案", "最终答案是", "最終答案", "思考过程", "思考過程", "思考", "推理过程",
            "推理過程", "推理", "分析", "解析", "解题思路", "解題思路", "解题过程", "解題過程", "解题步骤", "解題步驟", "思路",
            "让我们一步一步地思考", "讓我們一步一步地思考", "让我们一步一步来", "让我们一步步思考", "让我们一步一步地解决这个问题", "我们来一步一步解决这个问题",
            "让我想想", "讓我想想", "让我思考一下", "我们来分析一下", "嗯", "问题", "問題", "第{n}步", "第一步", "第二步", "第三步",
            "第四步", "第五步", "步骤", "步驟", "步骤{n}", "详解", "詳解", "回答", "结论", "結論", "总结", "總結",
        ],
        weak: &[
            "首先", "好的", "那么", "那麼", "所以", "因此", "我们", "让我们",
        ],
    },
    Language {
        code: "es",
        strong: &[
            "Solución", "Respuesta", "Respuesta final", "La respuesta es",
            "La respuesta correcta es", "Mi respuesta es", "Proceso de pensamiento",
            "Razonamiento", "Pensamiento", "Pensemos paso a paso", "Pensemos",
            "Vamos a pensar paso a paso", "Vamos a resolver este problema paso a paso",
            "Resolvamos este problema paso a paso", "Resolvamos este problema",
            "Resolvamos esto paso a paso", "Vamos a resolverlo paso a paso", "Paso a paso",
            "Paso {n}", "Déjame pensar", "Déjame pensarlo", "Veamos", "Análisis", "Explicación",
            "Pregunta", "Problema", "Conclusión", "Resultado", "Para resolver este problema",
            "Aquí está la solución", "Eh", "Mmm",
        ],
        weak: &[
            "Bueno", "Claro", "Primero", "Entonces", "Vale", "De acuerdo", "Por lo tanto",
            "Así que", "Por supuesto", "Bien",
        ],
    },
    Language {
        code: "fr",
        strong: &[
            "Solution", "Réponse", "Réponse finale", "La réponse est", "La bonne réponse est",
            "Ma réponse est", "Raisonnement", "Réflexion", "Processus de réflexion",
            "Processus de pensée", "Réfléchissons étape par étape", "Réfléchissons",
            "Pensons étape par étape", "Résolvons ce problème étape par étape",
            "Résolvons ce problème", "Résolvons cela étape par étape", "Procédons étape par étape",
            "Étape par étape", "Étape {n}", "Laisse-moi réfléchir", "Laissez-moi réfléchir",
            "Voyons", "Voyons voir", "Analyse", "Explication", "Question", "Problème",
            "Conclusion", "Résultat", "Pour résoudre ce problème", "Voici la solution", "Euh",
            "Hum",
        ],
        weak: &[
            "D'accord", "Bien", "Alors", "Tout d'abord", "D'abord", "Donc", "Ainsi", "Bon",
            "Bien sûr", "Très bien",
        ],
    },
    Language {
        code: "de",
        strong: &[
            "Lösung", "Loesung", "Antwort", "Endgültige Antwort", "Finale Antwort",
            "Die Antwort ist", "Die richtige Antwort ist", "Meine Antwort ist", "Denkprozess",
            "Gedankengang", "Gedanken", "Überlegung", "Überlegungen", "Begründung",
            "Lass uns Schritt für Schritt denken", "Denken wir Schritt für Schritt",
            "Lass uns das Schritt für Schritt lösen",
            "Lass uns dieses Problem Schritt für Schritt lösen",
            "Lösen wir dieses Problem Schritt für Schritt", "Lösen wir das Problem",
            "Gehen wir Schritt für Schritt vor", "Schritt für Schritt", "Schritt {n}",
            "Lass mich nachdenken", "Lass mich überlegen", "Mal sehen", "Analyse", "Erklärung",
            "Frage", "Aufgabe", "Ergebnis", "Fazit", "Lösungsweg", "Um dieses Problem zu lösen",
            "Hier ist die Lösung", "Ähm", "Äh",
        ],
        weak: &[
            "Also", "Gut", "Zuerst", "Zunächst", "Nun", "Klar", "Natürlich", "Daher", "Somit",
            "Alles klar",
        ],
    },
    Language {
        code: "ja",
        strong: &[
            "解答", "答え", "答", "回答", "解説", "解き方", "考え方", "思考過程", "思考プロセス", "考察", "分析",
            "ステップバイステップで考えましょう", "ステップバイステップで解いていきましょう", "段階的に考えましょう", "一歩ずつ考えましょう",
            "一歩ずつ考えてみましょう", "順を追って考えましょう", "この問題を解いてみましょう", "この問題を解きましょう", "問題を解いていきましょう",
            "考えてみましょう", "考えてみます", "最終的な答え", "最終的な答えは", "答えは", "正解は", "えーと", "えっと", "うーん",
            "ステップ{n}", "手順", "手順{n}", "問題", "解",
        ],
        weak: &["まず", "では", "さて", "よって", "したがって", "それでは"],
    },
    Language {
        code: "ru",
        strong: &[
            "Решение", "Ответ", "Окончательный ответ", "Итоговый ответ", "Финальный ответ",
            "Правильный ответ", "Ответ такой", "Мой ответ", "Ход мыслей", "Ход решения",
            "Рассуждение", "Рассуждения", "Размышление", "Размышления", "Давайте подумаем",
            "Давайте подумаем шаг за шагом", "Давайте решим эту задачу шаг за шагом",
            "Давайте решим эту задачу", "Давайте решим по шагам", "Давайте разберёмся",
            "Решим задачу шаг за шагом", "Шаг за шагом", "Шаг {n}", "Дай мне подумать",
            "Позвольте мне подумать", "Дайте подумать", "Посмотрим", "Анализ", "Объяснение",
            "Вопрос", "Задача", "Вывод", "Итог", "Результат", "Чтобы решить эту задачу",
            "Вот решение", "Хм", "Эм", "Ммм",
        ],
        weak: &[
            "Итак", "Хорошо", "Сначала", "Ладно", "Так", "Значит", "Конечно", "Поэтому",
            "Таким образом", "Ну", "Окей",
        ],
    },
    Language {
        code: "pt",
        strong: &[
            "Solução", "Resposta", "Resposta final", "A resposta é", "Raciocínio",
            "Vamos pensar passo a passo", "Vamos resolver este problema passo a passo",
            "Passo a passo", "Passo {n}", "Explicação",
        ],
        weak: &["Primeiro", "Então", "Certo"],
    },
    Language {
        code: "it",
        strong: &[
            "Soluzione", "Risposta", "Risposta finale", "La risposta è", "Ragionamento",
            "Pensiamo passo dopo passo", "Risolviamo questo problema passo dopo passo",
            "Passo dopo passo", "Spiegazione",
        ],
        weak: &["Allora", "Prima", "Dunque", "Quindi"],
    },
    Language {
        code: "ko",
        strong: &[
            "풀이", "정답", "답", "해설", "단계별로 생각해 봅시다", "단계별로 풀어 봅시다", "생각 과정", "분석",
        ],
        weak: &["먼저", "그럼", "따라서"],
    },
];

/// The compiled form of an opener: its skeleton without separators, `{n}` as [`DIGITS`].
/// `None` when it has no content character.
pub(crate) fn compile(opener: &str) -> Option<Vec<char>> {
    let mut out = Vec::new();
    for (k, part) in opener.split("{n}").enumerate() {
        if k > 0 {
            out.push(DIGITS);
        }
        out.extend(skeleton(part).text.chars().filter(|&c| c != ' '));
    }
    out.iter().any(|&c| c != DIGITS).then_some(out)
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Children, sorted by character.
    edges: Vec<(char, u32)>,
    /// The strongest opener ending here, if any (0 = none).
    end: u8,
}

/// A trie of compiled openers.
#[derive(Debug, Clone)]
pub(crate) struct Trie {
    nodes: Vec<Node>,
}

const ROOT: u32 = 0;

impl Trie {
    pub(crate) fn new() -> Self {
        Self {
            nodes: vec![Node::default()],
        }
    }

    pub(crate) fn insert(&mut self, opener: &[char], strength: Strength) {
        let mut at = ROOT;
        for &c in opener {
            let edges = &self.nodes[at as usize].edges;
            at = match edges.binary_search_by_key(&c, |e| e.0) {
                Ok(k) => edges[k].1,
                Err(k) => {
                    let new = self.nodes.len() as u32;
                    self.nodes.push(Node::default());
                    self.nodes[at as usize].edges.insert(k, (c, new));
                    new
                }
            };
        }
        let end = &mut self.nodes[at as usize].end;
        *end = (*end).max(strength as u8);
    }

    fn child(&self, at: u32, c: char) -> Option<u32> {
        let edges = &self.nodes[at as usize].edges;
        edges
            .binary_search_by_key(&c, |e| e.0)
            .ok()
            .map(|k| edges[k].1)
    }
}

/// The trie of the openers and the trie of their reversals (for the scan from the end).
#[derive(Debug, Clone)]
pub(crate) struct Tries {
    pub forward: Trie,
    pub backward: Trie,
}

impl Tries {
    /// The built-in openers of every language.
    pub(crate) fn builtin() -> Self {
        let mut tries = Tries {
            forward: Trie::new(),
            backward: Trie::new(),
        };
        for lang in LANGUAGES {
            for (list, strength) in [(lang.strong, Strength::Strong), (lang.weak, Strength::Weak)] {
                for opener in list {
                    let compiled = compile(opener).expect("built-in openers have letters");
                    tries.add(&compiled, strength);
                }
            }
        }
        tries
    }

    pub(crate) fn add(&mut self, compiled: &[char], strength: Strength) {
        self.forward.insert(compiled, strength);
        let reversed: Vec<char> = compiled.iter().rev().copied().collect();
        self.backward.insert(&reversed, strength);
    }
}

/// Digit-run state of a live position.
const NO_RUN: u8 = 0;
const CLOSED: u8 = u8::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Live {
    node: u32,
    /// `NO_RUN`, 1..=MAX_DIGITS digits read into a `{n}`, or `CLOSED` (the run ended).
    run: u8,
    /// 0, 1 (one filler) or 2 (an opener, or two fillers).
    score: u8,
    /// At the root right after an opener of a spaced script: the next character must be a
    /// separator or of an unspaced script.
    boundary: bool,
}

/// What one scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The whole text is openers, with at least one opener or two fillers.
    pub only_openers: bool,
    /// Bytes of the longest prefix made of openers (and fillers) followed by a boundary.
    pub prefix: usize,
    /// Trie steps taken (for the complexity tests).
    pub steps: u64,
}

/// Scans `text` (a skeleton, or its characters reversed for `Tries::backward`).
///
/// A lazily built DFA over the simulation of [`advance`]: each distinct set of live positions
/// becomes a state the first time it is reached, and each transition is computed once per scan,
/// so a long run of openers costs one cached lookup (a binary search among the state's known
/// characters) per symbol. The cache holds at most [`MAX_STATES`] states and is emptied when
/// full, so a hostile text can make it no worse than the plain simulation.
pub(crate) fn scan(trie: &Trie, text: impl Iterator<Item = char>) -> Scan {
    let mut dfa = Dfa::new(trie);
    let mut state = dfa.intern(vec![Live {
        node: ROOT,
        run: NO_RUN,
        score: 0,
        boundary: false,
    }]);
    let mut offset = 0;
    let mut result = Scan {
        only_openers: false,
        prefix: 0,
        steps: 0,
    };
    for c in text {
        offset += c.len_utf8();
        result.steps += 1;
        match dfa.next(state, c, &mut result.steps) {
            Some(next) => state = next,
            None => return result,
        }
        if dfa.states[state as usize].prefix {
            result.prefix = offset;
        }
    }
    if let Some(best) = dfa.states[state as usize].root_score {
        result.prefix = offset;
        result.only_openers = best >= Strength::Strong as u8;
    }
    result
}

/// The most DFA states one scan keeps.
const MAX_STATES: usize = 1024;

/// No successor: the text is not openers from here.
const DEAD: u32 = u32::MAX;

struct DfaState {
    /// The live positions, sorted.
    live: Vec<Live>,
    /// Known transitions, sorted by character (`DEAD` for none).
    edges: Vec<(char, u32)>,
    /// A root position without a pending boundary is live: the text so far is openers.
    prefix: bool,
    /// The best score among root positions, if any.
    root_score: Option<u8>,
}

struct Dfa<'t> {
    trie: &'t Trie,
    states: Vec<DfaState>,
    index: HashMap<Vec<Live>, u32>,
    scratch: Vec<Live>,
}

impl<'t> Dfa<'t> {
    fn new(trie: &'t Trie) -> Self {
        Self {
            trie,
            states: Vec::new(),
            index: HashMap::new(),
            scratch: Vec::new(),
        }
    }

    fn intern(&mut self, mut live: Vec<Live>) -> u32 {
        live.sort_unstable();
        if let Some(&id) = self.index.get(&live) {
            return id;
        }
        let id = self.states.len() as u32;
        let roots = live.iter().filter(|l| l.node == ROOT);
        self.states.push(DfaState {
            prefix: live.iter().any(|l| l.node == ROOT && !l.boundary),
            root_score: roots.map(|l| l.score).max(),
            live: live.clone(),
            edges: Vec::new(),
        });
        self.index.insert(live, id);
        id
    }

    /// The successor of `state` over `c`; `steps` counts the simulation steps of a miss.
    fn next(&mut self, state: u32, c: char, steps: &mut u64) -> Option<u32> {
        let edges = &self.states[state as usize].edges;
        let slot = match edges.binary_search_by_key(&c, |e| e.0) {
            Ok(k) => {
                let to = edges[k].1;
                return (to != DEAD).then_some(to);
            }
            Err(slot) => slot,
        };
        let mut next = std::mem::take(&mut self.scratch);
        next.clear();
        for &at in &self.states[state as usize].live {
            *steps += 1;
            advance(self.trie, at, c, &mut next);
        }
        if next.is_empty() {
            self.scratch = next;
            self.states[state as usize].edges.insert(slot, (c, DEAD));
            return None;
        }
        if self.states.len() >= MAX_STATES {
            // Full: start over with only the successor.
            self.states.clear();
            self.index.clear();
            return Some(self.intern(next));
        }
        self.scratch = Vec::new();
        let to = self.intern(next);
        let edges = &mut self.states[state as usize].edges;
        let slot = edges
            .binary_search_by_key(&c, |e| e.0)
            .unwrap_or_else(|k| k);
        edges.insert(slot, (c, to));
        Some(to)
    }
}

/// The plain simulation [`scan`] caches: the reference the tests compare it with.
#[cfg(test)]
pub(crate) fn scan_nfa(trie: &Trie, text: impl Iterator<Item = char>) -> Scan {
    let start = Live {
        node: ROOT,
        run: NO_RUN,
        score: 0,
        boundary: false,
    };
    let mut live = vec![start];
    let mut next: Vec<Live> = Vec::new();
    let mut offset = 0;
    let mut result = Scan {
        only_openers: false,
        prefix: 0,
        steps: 0,
    };
    let mut finished = true;
    for c in text {
        offset += c.len_utf8();
        next.clear();
        for &at in &live {
            result.steps += 1;
            advance(trie, at, c, &mut next);
        }
        std::mem::swap(&mut live, &mut next);
        if live.is_empty() {
            finished = false;
            break;
        }
        if live.iter().any(|l| l.node == ROOT && !l.boundary) {
            result.prefix = offset;
        }
    }
    if finished {
        let at_root = live.iter().filter(|l| l.node == ROOT);
        if let Some(best) = at_root.map(|l| l.score).max() {
            result.prefix = offset;
            result.only_openers = best >= Strength::Strong as u8;
        }
    }
    result
}

/// Moves one live position over `c`, pushing its successors (deduplicated) onto `next`.
fn advance(trie: &Trie, at: Live, c: char, next: &mut Vec<Live>) {
    if c == ' ' {
        let run = if at.run == NO_RUN { NO_RUN } else { CLOSED };
        push(
            next,
            Live {
                run,
                boundary: false,
                ..at
            },
        );
        return;
    }
    if at.boundary && !is_unspaced(c) {
        return;
    }
    let digit = c.is_ascii_digit();
    if digit && at.run != NO_RUN {
        // Inside or after a `{n}`: more digits extend an open run of at most MAX_DIGITS.
        if at.run != CLOSED && at.run < MAX_DIGITS {
            land(trie, at, at.node, at.run + 1, c, next);
        }
        return;
    }
    let (edge, run) = if digit { (DIGITS, 1) } else { (c, NO_RUN) };
    if let Some(child) = trie.child(at.node, edge) {
        land(trie, at, child, run, c, next);
    }
}

fn land(trie: &Trie, from: Live, node: u32, run: u8, c: char, next: &mut Vec<Live>) {
    push(
        next,
        Live {
            node,
            run,
            score: from.score,
            boundary: false,
        },
    );
    let end = trie.nodes[node as usize].end;
    if end > 0 {
        push(
            next,
            Live {
                node: ROOT,
                run: NO_RUN,
                score: (from.score + end).min(Strength::Strong as u8),
                boundary: !is_unspaced(c),
            },
        );
    }
}

fn push(next: &mut Vec<Live>, live: Live) {
    match next
        .iter_mut()
        .find(|l| l.node == live.node && l.run == live.run && l.boundary == live.boundary)
    {
        Some(same) => same.score = same.score.max(live.score),
        None => next.push(live),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> bool {
        let tries = Tries::builtin();
        scan(&tries.forward, skeleton(text).text.chars()).only_openers
    }

    #[test]
    fn every_builtin_opener_alone_is_only_openers_and_every_filler_alone_is_not() {
        for lang in LANGUAGES {
            for opener in lang.strong {
                let text = opener.replace("{n}", "3");
                assert!(only(&text), "{}: {text:?}", lang.code);
            }
            for filler in lang.weak {
                assert!(!only(filler), "{}: filler {filler:?} alone", lang.code);
            }
        }
    }

    #[test]
    fn boundaries_digits_and_fillers() {
        let yes = [
            "Step 1",
            "Step 12:",
            "Step 1 Step 2",
            "第3步",
            "Okay so",
            "So, well...",
            "Okay. Let's think step by step.",
            "好的，让我们一步一步地思考",
            "答案：",
            "L E T ' S  S O L V E this",
            "Solution Solution Solution",
            "well so",
        ];
        let no = [
            "Answers",
            "nowhere",
            "Step 12345",
            "Step 1 2",
            "Step 1: 42",
            "Okay",
            "So",
            "Solution: 3",
            "Step 1a",
            "答案是3",
            "Solutions",
            "Answer B",
        ];
        for t in yes {
            assert!(only(t), "should be only openers: {t:?}");
        }
        for t in no {
            assert!(!only(t), "should have content: {t:?}");
        }
    }

    #[test]
    fn prefix_is_the_longest_opener_run_before_content() {
        let tries = Tries::builtin();
        let s = skeleton("Answer: Question: what is 2+2").text;
        let scan = scan(&tries.forward, s.chars());
        assert_eq!(&s[scan.prefix..], "what is 2 2");
        let back = super::scan(&tries.backward, s.chars().rev());
        assert_eq!(back.prefix, 0);
    }

    #[test]
    fn the_cached_scan_agrees_with_the_plain_simulation() {
        let tries = Tries::builtin();
        let mut texts: Vec<String> = crate::attack_set()
            .into_iter()
            .map(|a| a.response)
            .collect();
        texts.extend(crate::genuine_set().into_iter().map(|g| g.response));
        // Every opener in one text: more distinct states than the cache holds, so it empties.
        let all: Vec<&str> = LANGUAGES
            .iter()
            .flat_map(|l| l.strong.iter().copied())
            .collect();
        texts.push(all.join(" ").replace("{n}", "7"));
        texts.push(all.join(" ").replace("{n}", "7") + " 42");
        for text in &texts {
            let s = skeleton(text).text;
            for (trie, forward) in [(&tries.forward, true), (&tries.backward, false)] {
                let chars = || -> Box<dyn Iterator<Item = char>> {
                    if forward {
                        Box::new(s.chars())
                    } else {
                        Box::new(s.chars().rev())
                    }
                };
                let (a, b) = (scan(trie, chars()), scan_nfa(trie, chars()));
                assert_eq!(
                    (a.only_openers, a.prefix),
                    (b.only_openers, b.prefix),
                    "{text:?}"
                );
                assert!(a.steps <= b.steps + s.chars().count() as u64, "{text:?}");
            }
        }
        let s = skeleton(&texts[texts.len() - 2]).text;
        assert!(scan(&tries.forward, s.chars()).only_openers);
        let mut dfa = Dfa::new(&tries.forward);
        let mut state = dfa.intern(vec![Live {
            node: ROOT,
            run: NO_RUN,
            score: 0,
            boundary: false,
        }]);
        let mut steps = 0;
        let mut emptied = false;
        for c in s.chars() {
            let before = dfa.states.len();
            state = dfa.next(state, c, &mut steps).expect("openers only");
            emptied |= dfa.states.len() < before;
        }
        assert!(emptied, "the cache filled up and was emptied");
        assert!(dfa.states.len() <= MAX_STATES);
    }

    #[test]
    fn no_extra_opener_collides_with_a_compiled_empty() {
        assert_eq!(compile("..."), None);
        assert_eq!(compile("{n}"), None);
        assert_eq!(compile("Step {n}"), Some("step\u{E000}".chars().collect()));
    }
}
