// `host notify` is long-running but offers no steps: there is no `step` on its call.
use pyrum::prelude::*;

async fn scenario(alice: Actor) -> pyrum::Result<()> {
    let notify = alice.host().notify().events(["all"]).await?;
    notify.step(None).await?;
    Ok(())
}

fn main() {}
