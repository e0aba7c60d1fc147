//! The Management API's applications (`/clients`): listed, read and changed for their organization settings and
//! refresh-token rotation overlap.

use reqwest::Method;

use super::seg;
use crate::http::{Bucket, Req};
use crate::model::{Client, ClientUpdate};
use crate::validate;
use crate::{AdminError, ManagementClient};

/// `GET /clients` without paging.
fn clients_list() -> Req {
    Req::new(
        Method::GET,
        "clients",
        Bucket::Other,
        "read:clients",
        "listing applications",
    )
}

impl ManagementClient {
    /// Every application on the tenant (offset paging).
    pub async fn list_clients(&self) -> Result<Vec<Client>, AdminError> {
        self.offset_all(clients_list(), "clients").await
    }

    /// `GET /clients/{client_id}`.
    pub async fn get_client(&self, client_id: &str) -> Result<Client, AdminError> {
        validate::client_id(client_id)?;
        let req = Req::new(
            Method::GET,
            format!("clients/{}", seg(client_id)),
            Bucket::Other,
            "read:clients",
            format!("application {client_id}"),
        )
        .hint("clients list");
        self.call(req).await
    }

    /// `PATCH /clients/{client_id}`, validated first.
    pub async fn update_client(
        &self,
        client_id: &str,
        update: &ClientUpdate,
    ) -> Result<Client, AdminError> {
        validate::client_id(client_id)?;
        update.validate()?;
        let req = Req::new(
            Method::PATCH,
            format!("clients/{}", seg(client_id)),
            Bucket::Other,
            "update:clients",
            format!("updating application {client_id}"),
        )
        .hint("clients list")
        .json(update);
        self.call(req).await
    }
}
