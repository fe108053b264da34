//! SIGTERM's drain, as `startup` runs it.

use crate::cluster::Cluster;
use crate::hub::Hub;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Drains when `drain` is cancelled: the job leases given up, the chargers sent away over
/// `over`, then everything stopped (`stop`).
pub(super) async fn drain(
    drain: CancellationToken,
    stop: CancellationToken,
    cluster: Cluster,
    hub: Hub,
    over: Duration,
) {
    tokio::select! {
        () = drain.cancelled() => {}
        () = stop.cancelled() => return,
    }
    cluster.drain().await;
    hub.send_away_all(over).await;
    stop.cancel();
}
