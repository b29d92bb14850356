// `host notify` is long-running but offers no steps: there is no `next` on its call.
use pyrum::prelude::*;

async fn scenario(alice: Actor) -> pyrum::Result<()> {
    let notify = alice.host().notify().events(["all"]).await?;
    notify.next(None).await?;
    Ok(())
}

fn main() {}
