"""`python -m context_ls.docs`: write the shipped rule page again from the registry."""

from context_ls.docs import PAGE, render_rules_html

PAGE.write_text(render_rules_html(), encoding="utf-8", newline="\n")
print(PAGE)
