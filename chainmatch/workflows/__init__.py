"""The zones' workflows: 撮合项目, problems (诉求) and their assessment (考核), matchmaking events, deadlines and reminders."""
