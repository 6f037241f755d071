"""One module per feature; `setup.create_server` wires them up."""
