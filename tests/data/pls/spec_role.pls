<?xml version="1.0" encoding="UTF-8"?>
<!-- PLS 1.0 4.4 style: homographs told apart by role (CLAWS part-of-speech tags) -->
<lexicon version="1.0"
      xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
      xmlns:claws="http://www.example.com/claws7tags"
      alphabet="ipa" xml:lang="en">
  <lexeme role="claws:VVI claws:VV0 claws:NN1">
    <grapheme>read</grapheme>
    <phoneme>ɹˈiːd</phoneme>
  </lexeme>
  <lexeme role="claws:VVN claws:VVD">
    <grapheme>read</grapheme>
    <phoneme>ɹˈɛd</phoneme>
  </lexeme>
</lexicon>
