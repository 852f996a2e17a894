// placeholder: replaced by the real tests of this part
