//! Knots in a directed graph: sets of nodes that all reach each other (Tarjan's strongly connected
//! components of more than one node), each with one shortest circle through it for the report.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Nodes that all reach each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knot<N> {
    /// Every node of the knot.
    pub members: BTreeSet<N>,
    /// A shortest circle from the smallest member back to itself: `[a, b, a]`.
    pub circle: Vec<N>,
}

/// Every knot of `edges` (`from -> [to]`), smallest member first. Edges from a node to itself are ignored.
pub fn knots<N: Ord + Clone>(edges: &BTreeMap<N, Vec<N>>) -> Vec<Knot<N>> {
    let mut nodes: BTreeSet<&N> = edges.keys().collect();
    nodes.extend(edges.values().flatten());
    let mut tarjan = Tarjan {
        edges,
        next_index: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        components: Vec::new(),
    };
    for node in nodes {
        if !tarjan.index.contains_key(node) {
            tarjan.visit(node);
        }
    }
    let mut knots: Vec<Knot<N>> = tarjan
        .components
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|members| {
            let circle = shortest_circle(edges, &members);
            Knot { members, circle }
        })
        .collect();
    knots.sort_by(|a, b| a.members.cmp(&b.members));
    knots
}

struct Tarjan<'a, N> {
    edges: &'a BTreeMap<N, Vec<N>>,
    next_index: usize,
    index: BTreeMap<&'a N, usize>,
    low: BTreeMap<&'a N, usize>,
    stack: Vec<&'a N>,
    components: Vec<BTreeSet<N>>,
}

impl<'a, N: Ord + Clone> Tarjan<'a, N> {
    // Recursion depth is bounded by the number of files in a crate.
    fn visit(&mut self, node: &'a N) {
        self.index.insert(node, self.next_index);
        self.low.insert(node, self.next_index);
        self.next_index += 1;
        self.stack.push(node);
        for next in self.edges.get(node).into_iter().flatten() {
            if !self.index.contains_key(next) {
                self.visit(next);
                let low = self.low[node].min(self.low[next]);
                self.low.insert(node, low);
            } else if self.stack.contains(&next) {
                let low = self.low[node].min(self.index[next]);
                self.low.insert(node, low);
            }
        }
        if self.low[node] == self.index[node] {
            let mut component = BTreeSet::new();
            while let Some(member) = self.stack.pop() {
                component.insert(member.clone());
                if member == node {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

/// Breadth-first from the smallest member, inside the knot, back to it.
fn shortest_circle<N: Ord + Clone>(edges: &BTreeMap<N, Vec<N>>, members: &BTreeSet<N>) -> Vec<N> {
    let Some(start) = members.first() else { return Vec::new() };
    let mut came_from: BTreeMap<&N, &N> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in edges.get(node).into_iter().flatten().filter(|next| members.contains(*next)) {
            if next == start {
                let mut circle = vec![start.clone()];
                let mut at = node;
                while at != start {
                    circle.push(at.clone());
                    at = came_from[at];
                }
                circle.push(start.clone());
                circle.reverse();
                return circle;
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &'static str)]) -> BTreeMap<&'static str, Vec<&'static str>> {
        let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry(from).or_default().push(to);
        }
        graph
    }

    #[test]
    fn no_knot_in_a_tree_or_a_diamond_or_a_self_loop() {
        assert!(knots(&graph(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "d")])).is_empty());
    }

    #[test]
    fn finds_each_knot_with_a_shortest_circle() {
        let found = knots(&graph(&[
            ("a", "b"),
            ("b", "a"),
            ("b", "c"),
            ("x", "y"),
            ("y", "z"),
            ("z", "x"),
            ("z", "w"),
            ("x", "q"),
            ("q", "z"),
        ]));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].members, BTreeSet::from(["a", "b"]));
        assert_eq!(found[0].circle, ["a", "b", "a"]);
        assert_eq!(found[1].members, BTreeSet::from(["q", "x", "y", "z"]));
        assert_eq!(found[1].circle, ["q", "z", "x", "q"]);
    }
}
