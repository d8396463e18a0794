//! `/api/changes/stream`: the generations as they are served, as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::AppStateRef;

/// `GET /api/changes/stream`: first a `hello` event with the generation served, then one
/// event per batch of edits (`edit`), reload (`reload`), new day (`day`), tiles drawn
/// anew (`drawn`) or refused or recovered reading of the source (`source`), each with its generation, the
/// tile layers whose tiles may have changed and the box they changed in (see
/// [`crate::server::changes::ChangeEvent`]). A client too slow to keep up gets a
/// `lagged` event and should refresh everything it shows. The stream ends when the
/// server stops.
pub(in crate::server) async fn stream(
    State(state): State<AppStateRef>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.changes.subscribe();
    let generation = state.snapshot().generation;
    let hello = Event::default()
        .event("hello")
        .id(generation.to_string())
        .data(format!("{{\"generation\":{generation}}}"));
    let events = stream::unfold(rx, |mut rx| async move {
        let ev = match rx.recv().await {
            Ok(ev) => Event::default()
                .event(ev.kind)
                .id(ev.generation.to_string())
                .json_data(&ev)
                .unwrap_or_default(),
            Err(RecvError::Lagged(n)) => Event::default()
                .event("lagged")
                .data(format!("{{\"missed\":{n}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(ev), rx))
    });
    // Ends when the server stops (a stream never ends by itself, and the stop waits for
    // open answers); the viewer's EventSource connects again to the next server.
    let all = stream::once(async move { Ok(hello) })
        .chain(events)
        .take_until(state.changes.closed());
    Sse::new(all).keep_alive(KeepAlive::default())
}
