"""The screening room: every version of a shot in the browser, reviewed with the rules used in Slack."""
