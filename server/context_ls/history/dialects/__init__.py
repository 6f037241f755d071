"""One module per dialect: how to recognise its records (`sniff`), what a record says
(`facts`), and how a synthetic output for a dangling call looks (`synthetic_output`)."""
