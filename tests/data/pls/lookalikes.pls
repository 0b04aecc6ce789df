<?xml version="1.0" encoding="UTF-8"?>
<!-- a real-world lexicon typed on a plain keyboard: ASCII g, ':' for length, "'" for stress -->
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
      alphabet="ipa" xml:lang="en-GB">
  <lexeme>
    <grapheme>Gloucester</grapheme>
    <phoneme>'glɒstə</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>Magdalen</grapheme>
    <phoneme>'mɔ:dlɪn</phoneme>
  </lexeme>
</lexicon>
