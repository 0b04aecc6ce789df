<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
         alphabet="ipa" xml:lang="en-US">
  <lexeme>
    <grapheme>Siobhan</grapheme>
    <phoneme>ʃɪˈvɔːn</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>Okafor</grapheme>
    <phoneme>oʊˈkɑːfɔːɹ</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>Gull Island</grapheme>
    <alias>Gull Eye-land</alias>
  </lexeme>
</lexicon>
