"""One module per concern; `server.create_server` builds the server from them."""
