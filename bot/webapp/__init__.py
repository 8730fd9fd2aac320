"""The coordinators' dashboard as a Telegram Mini App: the web server, Telegram's initData check and the page."""
