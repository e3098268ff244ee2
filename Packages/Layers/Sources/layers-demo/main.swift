// layers-demo (chapter 04): the tour is written with the chapter; see Chapters/en/04-images-and-layers.md.
print("layers-demo: not yet")
