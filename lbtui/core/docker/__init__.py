"""Docker engines: connecting, the one gateway to the SDK, snapshots, exec and container control."""
