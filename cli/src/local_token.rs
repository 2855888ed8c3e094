//! `local-token`: the tokens of a gateway's local API (Developer Mode), managed
//! through the cloud.

use overkiz::Client;

use crate::args::LocalTokenCmd;
use crate::escape::field;
use crate::table::print_table;
use crate::BoxError;

/// The gateway a local-token command is about.
async fn gateway(client: &Client, gateway: Option<String>) -> Result<String, BoxError> {
    if let Some(gateway) = gateway {
        return Ok(gateway);
    }
    let gateways = client.get_setup_gateways().await?;
    let ids: Vec<String> = gateways.into_iter().filter_map(|g| g.gateway_id).collect();
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("the setup has no gateway".into()),
        many => Err(format!("several gateways ({}): pass --gateway", many.join(", ")).into()),
    }
}

pub(crate) async fn local_token(client: &Client, command: LocalTokenCmd) -> Result<(), BoxError> {
    match command {
        LocalTokenCmd::Create { label, gateway: g } => {
            let pin = gateway(client, g).await?;
            let created = client.create_local_token(&pin, &label).await?;
            eprintln!("created a local API token labelled {label:?} for {pin}; it is shown once:");
            println!("{}", field(created.token.expose()));
        }
        LocalTokenCmd::List { gateway: g } => {
            let pin = gateway(client, g).await?;
            let mut rows = vec![["UUID".to_owned(), "LABEL".into(), "SCOPE".into()]];
            for token in client.local_tokens(&pin).await? {
                rows.push([
                    token.uuid.unwrap_or_default(),
                    token.label.unwrap_or_default(),
                    token.scope.unwrap_or_default(),
                ]);
            }
            print_table(&rows);
        }
        LocalTokenCmd::Delete { uuid, gateway: g } => {
            let pin = gateway(client, g).await?;
            client.delete_local_token(&pin, &uuid).await?;
            println!("deleted {uuid}");
        }
    }
    Ok(())
}
