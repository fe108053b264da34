//! An order as a pile that knows sessions by their order's number (an MQTT pile) asks of it.

use super::{OrderError, Orders};
use crate::domain::ids::OrderNo;
use crate::domain::orders::order::Order;

impl Orders {
    /// The order numbered `order_no`, whoever's it is; none when there is no such order.
    pub async fn numbered(&self, order_no: &OrderNo) -> Result<Option<Order>, OrderError> {
        Ok(self.inner.store.order(order_no).await?)
    }
}
