"""What the synthetic speakers say: keywords in carrier phrases, other words, confusables, partial
keywords and everyday sentences.

A wake-word model trained only on isolated keywords against a few other isolated words fires on
anything keyword-shaped. Real life is continuous speech, words that rhyme with the keyword, the start
or end of a keyword, and the keyword inside a phrase ("hey stop now"); these lists make that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# The 35 words of Google Speech Commands v0.02.
SPEECH_COMMANDS_WORDS = (
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila",
    "tree", "wow", "backward", "forward", "follow", "learn", "visual",
)  # fmt: skip
# Everyday words, including near-rhymes of common keywords, so `_unknown_` teaches what is *not* a keyword.
COMMON_WORDS = (
    "hello", "okay", "please", "thanks", "sorry", "water", "music", "light", "table", "window", "computer",
    "phone", "morning", "evening", "today", "later", "maybe", "never", "again", "start", "open", "close",
    "play", "pause", "next", "back", "top", "shop", "spot", "stock", "dot", "goal", "ghost", "show", "toe",
    "hey", "bench", "set", "seat", "bus", "coffee", "weather", "kitchen", "garden", "yellow", "number",
)  # fmt: skip
DEFAULT_UNKNOWN_WORDS = SPEECH_COMMANDS_WORDS + COMMON_WORDS

# Short phrases around a keyword ("{}" is the keyword): people rarely say a command on its own.
CARRIERS = ("hey {}", "{} now", "please {}", "{} please", "okay {}", "now {}", "{} then", "oh {}", "just {}")

# Words that sound like a keyword (rhymes, one sound changed). Homophones ("know" for "no", "write" for
# "right") are left out: no model can tell them apart, and calling them negatives would teach noise.
CONFUSABLES = {
    "stop": (
        "top",
        "shop",
        "spot",
        "stock",
        "step",
        "stomp",
        "stab",
        "stuff",
        "drop",
        "store",
        "strap",
        "stoke",
    ),
    "go": ("no", "so", "goal", "goat", "ghost", "grow", "glow", "low", "dough", "though", "gone", "coat"),
    "yes": ("yet", "yeah", "less", "guess", "chess", "dress", "bless", "yellow", "mess", "ice"),
    "no": ("now", "nose", "note", "snow", "low", "go", "toe", "gnaw", "knob", "nut"),
    "up": ("cup", "pup", "app", "op", "hop", "pub", "sup", "oops"),
    "down": ("town", "gown", "done", "dawn", "crown", "brown", "noun", "round"),
    "left": ("lift", "loft", "laughed", "theft", "lest", "deft", "west", "lent"),
    "right": ("ride", "bright", "white", "light", "rate", "fight", "rice", "ripe"),
    "on": ("an", "in", "own", "upon", "odd", "dawn", "gone", "awe"),
    "off": ("of", "cough", "golf", "oath", "often", "awful", "soft", "scoff"),
}

# Everyday sentences for continuous speech cut into windows. Sentences containing a keyword are dropped
# for that keyword set (see `sentences_without`).
SENTENCES = (
    "I think we should leave a little earlier tomorrow morning.",
    "Could you pass me the salt and the pepper, please?",
    "The train was late again, so I missed the first meeting.",
    "She said the weather will be much better at the weekend.",
    "We need milk, bread, eggs and some fresh vegetables.",
    "My brother is coming over for dinner on Friday evening.",
    "Have you seen my keys anywhere? I had them a minute ago.",
    "The children are playing football in the garden.",
    "It is half past seven and the kettle has just boiled.",
    "Turn the music down a bit, the baby is sleeping.",
    "I will call you back when I have finished cooking.",
    "That film was much longer than I expected it to be.",
    "The shop on the corner closes at six on Sundays.",
    "Let me check my calendar and I will let you know.",
    "The cat has been sitting by the window all afternoon.",
    "We painted the kitchen a lovely shade of pale green.",
    "How much does a return ticket to the city cost?",
    "I really enjoyed the concert, the band was brilliant.",
    "Remember to water the plants while we are away.",
    "The doctor said I should drink more water every day.",
    "Our neighbours have a new dog, and it barks a lot.",
    "There is a problem with the printer in the office.",
    "Can you read the last paragraph out loud for me?",
    "He fixed the bicycle with a spanner and some tape.",
    "The soup needs a little more salt, I think.",
    "I left my umbrella on the bus this morning.",
    "The meeting has been moved to Thursday afternoon.",
    "We walked along the beach and watched the sunset.",
    "My phone battery is almost empty, where is the charger?",
    "The library is quiet, so please speak softly.",
    "They are building a new school near the river.",
    "I would like a cup of tea with a splash of milk.",
    "The garden looks wonderful after all that rain.",
    "What time does the next bus leave for the station?",
    "I have been learning to play the piano for a year.",
    "The lights in the hallway keep flickering at night.",
    "Thank you so much for helping me move the sofa.",
    "We should book the holiday before the prices rise.",
    "The computer is running slowly since the last update.",
    "Grandma told us a funny story about her childhood.",
    "Put the washing out, it is sunny and warm today.",
    "I cannot find the remote control for the television.",
    "The recipe says to bake it for forty minutes.",
    "Everyone laughed when the puppy fell asleep in the bowl.",
    "Please remember to lock the back door tonight.",
    "The road is closed because of the roadworks.",
    "I usually read a book for an hour before bed.",
    "The fridge is making a strange humming noise.",
    "Shall we order pizza or cook something ourselves?",
    "Look at those clouds, I think it might rain soon.",
    "The museum has a wonderful collection of old maps.",
    "My sister works as a nurse at the local hospital.",
    "It was so cold this morning that the car was frozen.",
    "Could you turn the heating up a little, please?",
    "We saw a fox running across the field last night.",
    "The new cafe serves the best pancakes in town.",
    "I am going to the market to buy some apples.",
    "Don't forget your coat, it is windy outside.",
    "The teacher asked the class to write a short poem.",
    "This song reminds me of our trip to the seaside.",
)


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def sentences_without(words: Iterable[str], sentences: Sequence[str] = SENTENCES) -> list[str]:
    """The sentences in which no keyword (no word of a keyword phrase) occurs as a whole word."""
    banned = {t for w in words for t in _tokens(w)}
    return [s for s in sentences if not (_tokens(s) & banned)]


def confusables_of(word: str) -> list[str]:
    """Words that sound like `word`: known rhymes and near misses, plus partial keywords.

    Partial keywords: each word of a phrase alone ("hey bench" -> "hey", "bench"), and for a single
    word of four letters or more the word without its first or last letter ("stop" -> "top", "sto").
    """
    word = word.strip().lower()
    out = list(CONFUSABLES.get(word, ()))
    parts = word.split()
    if len(parts) > 1:
        out += parts
    elif len(word) >= 4:
        out += [word[1:], word[:-1]]
    return list(dict.fromkeys(w for w in out if w != word))
