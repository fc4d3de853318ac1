"""Speaking to Slack's Web API: clients per workspace, tokens, identity, people look-ups and the
shared rate budget every caller draws from."""
