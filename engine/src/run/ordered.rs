//! Work in parallel, results in order: units of work run on a thread pool, a bounded
//! number at a time, and their results are written in the order the units came in.

use std::collections::BTreeMap;

/// Runs `work` on each item on `pool` (at most twice as many at once as it has
/// threads) and hands the results to `write` in item order. The first error — from an
/// item, a unit or `write` — stops the run: units already started are waited for and
/// their results dropped.
pub(super) fn run_ordered<T: Send, U: Send, E: Send>(
    items: impl Iterator<Item = Result<T, E>>,
    work: &(dyn Fn(T, bool) -> Result<U, E> + Sync),
    pool: &rayon::ThreadPool,
    write: &mut dyn FnMut(U) -> Result<(), E>,
) -> Result<(), E> {
    let limit = pool.current_num_threads() * 2;
    let mut stop: Option<E> = None;
    pool.in_place_scope(|scope| {
        let (done, results) = std::sync::mpsc::channel::<(usize, Result<U, E>)>();
        let mut pending: BTreeMap<usize, Result<U, E>> = BTreeMap::new();
        let mut next = 0usize;
        let mut in_flight = 0usize;
        // Writes every finished unit that is next in order.
        let mut flush = |pending: &mut BTreeMap<usize, Result<U, E>>, stop: &mut Option<E>| {
            while let Some(result) = pending.remove(&next) {
                next += 1;
                if stop.is_some() {
                    continue;
                }
                if let Err(e) = result.and_then(&mut *write) {
                    *stop = Some(e);
                }
            }
        };
        for (index, item) in items.enumerate() {
            if stop.is_some() {
                break;
            }
            let item = match item {
                Ok(item) => item,
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            };
            while in_flight >= limit {
                let Ok((i, r)) = results.recv() else { break };
                in_flight -= 1;
                pending.insert(i, r);
                flush(&mut pending, &mut stop);
            }
            let done = done.clone();
            scope.spawn(move |_| {
                let r = work(item, index == 0);
                let _ = done.send((index, r));
            });
            in_flight += 1;
            while let Ok((i, r)) = results.try_recv() {
                in_flight -= 1;
                pending.insert(i, r);
            }
            flush(&mut pending, &mut stop);
        }
        while in_flight > 0 {
            let Ok((i, r)) = results.recv() else { break };
            in_flight -= 1;
            pending.insert(i, r);
            flush(&mut pending, &mut stop);
        }
    });
    match stop {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
