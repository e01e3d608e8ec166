# A traceroute to 2001:db8:1:5707::1 reads this poem, one line a hop
# (Robert Frost, "The Road Not Taken", 1916). A line is ADDRESS NAME; the
# name is what `thingsctl trace zone` puts in the reverse zone, so that
# traceroute shows it.
2001:db8:1:5707::1:1 two.roads.diverged.in.a.yellow.wood
2001:db8:1:5707::1:2 and.sorry.i.could.not.travel.both
2001:db8:1:5707::1:3 and.be.one.traveler.long.i.stood
2001:db8:1:5707::1:4 and.looked.down.one.as.far.as.i.could
2001:db8:1:5707::1:5 to.where.it.bent.in.the.undergrowth
