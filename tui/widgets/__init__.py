"""One widget per workbench pane."""
