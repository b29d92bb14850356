// `peer connect` needs its `<addr>`: leaving it out does not compile.
use pyrum::prelude::*;

async fn scenario(alice: Actor) -> pyrum::Result<()> {
    alice.peer().connect().await?;
    Ok(())
}

fn main() {}
