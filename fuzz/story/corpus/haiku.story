# An address story: the last three nibbles of 2001:db8:1:5707:1::XYZ pick
# the lines of a three-hop haiku, X from the first table, Y from the
# second, Z from the third; 4 x 4 x 4 = 64 haiku under one story, and a
# nibble past a table's end wraps round it (5 is line 1 of four).
bits 4
table
2001:db8:1:5707::a:0 an.old.silent.pond
2001:db8:1:5707::a:1 over.the.wintry.forest
2001:db8:1:5707::a:2 the.light.of.a.candle
2001:db8:1:5707::a:3 in.the.twilight.rain
table
2001:db8:1:5707::b:0 a.frog.jumps.into.the.pond
2001:db8:1:5707::b:1 winds.howl.in.rage.with.no.leaves
2001:db8:1:5707::b:2 is.moved.to.another.candle
2001:db8:1:5707::b:3 these.brilliant-hued.hibiscus
table
2001:db8:1:5707::c:0 splash.silence.again
2001:db8:1:5707::c:1 to.blow
2001:db8:1:5707::c:2 spring.twilight
2001:db8:1:5707::c:3 a.lovely.sunset
