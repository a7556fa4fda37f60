//! The sessions of open connections, by id: every socket of one browser shares one [`Session`]
//! handle, and `/_pulse/set-cookies` stores what the sockets changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::session::Session;

#[derive(Clone, Debug, Default)]
pub(crate) struct LiveSessions {
    inner: Arc<Mutex<HashMap<String, (Session, usize)>>>,
}

impl LiveSessions {
    fn map(&self) -> MutexGuard<'_, HashMap<String, (Session, usize)>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared session for a socket whose cookie loaded `loaded`. While other sockets of the
    /// browser are open their handle is used; it takes the cookie's data unless the sockets
    /// changed it since the cookie was last stored.
    fn checkout(&self, loaded: Session) -> Session {
        let mut map = self.map();
        match map.get_mut(loaded.id()) {
            Some((live, count)) => {
                *count += 1;
                if !live.is_changed() {
                    copy(&loaded, live);
                    live.mark_saved();
                }
                live.clone()
            }
            None => {
                map.insert(loaded.id().to_owned(), (loaded.clone(), 1));
                loaded
            }
        }
    }

    /// Checks out the session for a socket, released when the returned guard drops (the socket
    /// closed, or its upgrade never completed).
    pub(crate) fn hold(&self, loaded: Session) -> Held {
        let session = self.checkout(loaded);
        Held {
            sessions: self.clone(),
            session,
        }
    }

    /// A socket of session `id` closed.
    fn release(&self, id: &str) {
        let mut map = self.map();
        if let Some((_, count)) = map.get_mut(id) {
            *count -= 1;
            if *count == 0 {
                map.remove(id);
            }
        }
    }

    /// Copies what open sockets changed into `target`, the session of a `set-cookies` request,
    /// so the session layer stores it.
    pub(crate) fn store_into(&self, target: &Session) {
        let live = self.map().get(target.id()).map(|(live, _)| live.clone());
        if let Some(live) = live.filter(Session::is_changed) {
            copy(&live, target);
            live.mark_saved();
        }
    }
}

/// Makes `to` hold exactly the data of `from`.
fn copy(from: &Session, to: &Session) {
    let data = from.to_map();
    for key in to.to_map().keys() {
        if !data.contains_key(key) {
            to.remove(key);
        }
    }
    for (key, value) in data {
        if let Err(error) = to.insert(key, value) {
            tracing::error!(%error, "could not copy a session value");
        }
    }
}

/// A socket's hold on its shared session.
#[derive(Debug)]
pub(crate) struct Held {
    sessions: LiveSessions,
    pub(crate) session: Session,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.sessions.release(self.session.id());
    }
}
