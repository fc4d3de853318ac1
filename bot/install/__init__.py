"""Distribution mode: workspaces install Dailies through Slack's OAuth flow, each is served with its
own token (refreshed before it expires), and a workspace that removes Dailies is forgotten."""
