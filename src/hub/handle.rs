//! `SessionHandle`: how everyone but the session task reaches a connected charger.

use protocol::OcppVersion;
use tokio::sync::mpsc;

/// What the session task is asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// A newer connection of the same charger took over: close this one.
    Replaced,
}

/// A handle on one charger connection.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    connection: u64,
    version: OcppVersion,
    commands: mpsc::Sender<Command>,
}

impl SessionHandle {
    pub(crate) fn new(
        connection: u64,
        version: OcppVersion,
        commands: mpsc::Sender<Command>,
    ) -> Self {
        SessionHandle {
            connection,
            version,
            commands,
        }
    }

    /// The connection's number, unique within this process.
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// The OCPP version negotiated on this connection.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// Tells the session a newer connection took over; a session already gone needs nothing.
    pub(crate) fn replaced(&self) {
        let _ = self.commands.try_send(Command::Replaced);
    }
}
